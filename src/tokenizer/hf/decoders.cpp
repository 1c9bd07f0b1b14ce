#include "tokenizer/hf/decoders.h"

#include "tokenizer/hf/byte_level.h"
#include "tokenizer/hf/pre_tokenizers.h"
#include "tokenizer/hf/regex.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {
namespace {

class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) {
      const size_t mark = bytes.size();
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        int len = 1;
        const int b = byte_level::byte_of(utf8_decode(t, i, &len));
        if (b < 0) all = false;
        bytes += static_cast<char>(b);
        i += len;
      }
      if (!all) {  // a token outside the alphabet passes through as its own bytes
        bytes.resize(mark);
        bytes += t;
      }
    }
    std::string text;
    append_utf8_lossy(text, bytes);
    tokens.assign(1, std::move(text));
  }
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t.find(replacement_) == std::string::npos) continue;
      std::string out;
      for (size_t at = 0; at < t.size();) {
        if (t.compare(at, replacement_.size(), replacement_) == 0) {
          if (!(i == 0 && strip_first_)) out += ' ';
          at += replacement_.size();
        } else {
          out += t[at++];
        }
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;  // prepend scheme other than "never": the first token loses its replacements
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<Regex> regex, std::string content)
      : regex_(std::move(regex)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::string out;
      size_t from = 0;
      regex_->for_each_match(t, [&](size_t s, size_t e) {
        out.append(t, from, s - from);
        out += content_;
        from = e;
      });
      out.append(t, from, std::string::npos);
      t.swap(out);
    }
  }

 private:
  std::unique_ptr<Regex> regex_;
  std::string content_;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of a "<0xNN>" token (Rust's u8::from_str_radix on "NN", which also takes "+N"), or -1.
int fallback_byte(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  if (t[3] == '+') return hex_digit(t[4]);
  const int hi = hex_digit(t[3]), lo = hex_digit(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    const auto flush = [&] {
      if (bytes.empty()) return;
      if (is_valid_utf8(bytes)) {
        out.push_back(bytes);
      } else {
        for (size_t k = 0; k < bytes.size(); ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      bytes.clear();
    };
    for (std::string& t : tokens) {
      const int b = fallback_byte(t);
      if (b >= 0) {
        bytes += static_cast<char>(b);
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens.swap(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      size_t begin = 0, end = t.size();
      for (size_t k = 0;
           k < start_ && begin < t.size() && t.compare(begin, content_.size(), content_) == 0; ++k)
        begin += content_.size();
      for (size_t k = 0; k < stop_ && end >= begin + content_.size() &&
                         t.compare(end - content_.size(), content_.size(), content_) == 0;
           ++k)
        end -= content_.size();
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class BpeSuffixDecoder final : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    if (suffix_.empty()) return;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string with = i + 1 == tokens.size() ? "" : " ";
      std::string& t = tokens[i];
      std::string out;
      size_t from = 0;
      for (size_t at = t.find(suffix_); at != std::string::npos; at = t.find(suffix_, from)) {
        out.append(t, from, at - from);
        out += with;
        from = at + suffix_.size();
      }
      out.append(t, from, std::string::npos);
      t.swap(out);
    }
  }

 private:
  std::string suffix_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps)
      : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& s : steps_) s->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

std::unique_ptr<Decoder> make_metaspace(const Json& j, const JsonPath& at) {
  return std::make_unique<MetaspaceDecoder>(char_field(j, "replacement", at, "\xE2\x96\x81"),
                                            parse_prepend_scheme(j, at) != PrependScheme::kNever);
}

std::unique_ptr<Decoder> make_replace(const Json& j, const JsonPath& at) {
  const Json& pattern = require_member(j, "pattern", at);
  const JsonPath pat = at / "pattern";
  require_object(pattern, pat);
  std::string content = required_string(j, "content", at);
  if (pattern.contains("String"))
    return std::make_unique<ReplaceDecoder>(
        std::make_unique<Regex>(escape_literal(required_string(pattern, "String", pat)),
                                pat / "String"),
        std::move(content));
  if (pattern.contains("Regex"))
    return std::make_unique<ReplaceDecoder>(
        std::make_unique<Regex>(required_string(pattern, "Regex", pat), pat / "Regex"),
        std::move(content));
  pat.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const Json& j, const JsonPath& at) {
  if (j.is_null()) return nullptr;
  const std::string type = type_field(j, at);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") return make_metaspace(j, at);
  if (type == "Replace") return make_replace(j, at);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(char_field(j, "content", at, " "),
                                          static_cast<size_t>(uint_field(j, "start", at, 0)),
                                          static_cast<size_t>(uint_field(j, "stop", at, 0)));
  if (type == "BPEDecoder")
    return std::make_unique<BpeSuffixDecoder>(string_field(j, "suffix", at, "</w>"));
  if (type == "Sequence") {
    const Json& list = require_member(j, "decoders", at);
    if (!list.is_array()) (at / "decoders").fail("expected a list");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto s = make_decoder(list[i], (at / "decoders")[i])) steps.push_back(std::move(s));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  (at / "type")
      .fail("unsupported decoder '" + type +
            "' (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, BPEDecoder, "
            "Sequence)");
}

std::string decode_tokens(const Decoder* decoder, std::vector<std::string> tokens) {
  std::string text;
  if (decoder == nullptr) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) text += ' ';
      text += tokens[i];
    }
    return text;
  }
  decoder->decode_chain(tokens);
  for (const std::string& t : tokens) text += t;
  return text;
}

}  // namespace ascent::tokenizer::hf
