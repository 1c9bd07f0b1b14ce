#include "tokenizer/hf/normalizers.h"

#include <utf8proc.h>

#include <cstdlib>
#include <vector>

#include "core/error.h"
#include "tokenizer/hf/byte_level.h"
#include "tokenizer/hf/regex.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {
namespace {

utf8proc_option_t form_options(UnicodeForm form) {
  switch (form) {
    case UnicodeForm::kNFC:
      return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    case UnicodeForm::kNFD:
      return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    case UnicodeForm::kNFKC:
      return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    case UnicodeForm::kNFKD:
      break;
  }
  return static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
}

void append_mapped(UnicodeForm form, std::string_view s, std::string& out) {
  utf8proc_uint8_t* dst = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                   static_cast<utf8proc_ssize_t>(s.size()), &dst, form_options(form));
  if (n < 0) {  // cannot happen on valid UTF-8; keep the text as it is
    out.append(s);
    return;
  }
  out.append(reinterpret_cast<const char*>(dst), static_cast<size_t>(n));
  std::free(dst);
}

// A character NFC leaves alone whatever surrounds it, except that it may take a following mark:
// a starter with no decomposition that is never the second half of a composition.
bool nfc_inert(uint32_t cp) {
  if (cp < 0x300) return true;
  if (cp >= 0x1100 && cp < 0x1200) return false;  // Hangul jamo compose algorithmically
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
  return p->combining_class == 0 && p->decomp_seqindex == UINT16_MAX &&
         (p->comb_index == UINT16_MAX || p->comb_index < 0x8000);
}

// NFC of text, normalizing only the runs of non-inert characters (plus the starter before each).
void nfc(std::string& text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n && static_cast<uint8_t>(text[i]) < 0xCC) ++i;  // code points below U+0300
  if (i == n) return;
  std::string out;
  size_t copied = 0, prev_start = 0;
  i = 0;
  while (i < n) {
    int len = 1;
    const uint32_t cp = utf8_decode(text, i, &len);
    if (nfc_inert(cp)) {
      prev_start = i;
      i += len;
      continue;
    }
    const size_t run_start = prev_start < i && copied <= prev_start ? prev_start : i;
    size_t run_end = i + len;
    while (run_end < n) {
      int l2 = 1;
      const uint32_t c2 = utf8_decode(text, run_end, &l2);
      if (nfc_inert(c2)) break;
      run_end += l2;
    }
    out.append(text, copied, run_start - copied);
    append_mapped(UnicodeForm::kNFC, std::string_view(text).substr(run_start, run_end - run_start),
                  out);
    copied = run_end;
    prev_start = run_end;
    i = run_end;
  }
  out.append(text, copied, std::string::npos);
  text.swap(out);
}

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
  void normalize(std::string& text) const override { unicode_normalize(form_, text); }

 private:
  UnicodeForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    size_t i = 0;
    for (; i < text.size(); ++i) {
      const auto b = static_cast<uint8_t>(text[i]);
      if (b >= 0x80) break;
      if (b >= 'A' && b <= 'Z') text[i] = static_cast<char>(b + 32);
    }
    if (i == text.size()) return;
    std::string out(text, 0, i);
    while (i < text.size()) {
      int len = 1;
      const uint32_t cp = utf8_decode(text, i, &len);
      i += len;
      if (cp == 0x130) {  // the one unconditional multi-character lowercase mapping
        out += "i\xCC\x87";
        continue;
      }
      utf8_append(out, static_cast<uint32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
    }
    text.swap(out);
  }
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class Replace final : public Normalizer {
 public:
  Replace(std::string literal, std::unique_ptr<Regex> regex, std::string content)
      : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}

  void normalize(std::string& text) const override {
    if (!regex_) {
      size_t at = text.find(literal_);
      if (at == std::string::npos) return;
      std::string out;
      out.reserve(text.size() + text.size() / 4);
      size_t from = 0;
      for (; at != std::string::npos; at = text.find(literal_, from)) {
        out.append(text, from, at - from);
        out += content_;
        from = at + literal_.size();
      }
      out.append(text, from, std::string::npos);
      text.swap(out);
      return;
    }
    std::string out;
    size_t from = 0;
    regex_->for_each_match(text, [&](size_t s, size_t e) {
      out.append(text, from, s - from);
      out += content_;
      from = e;
    });
    out.append(text, from, std::string::npos);
    text.swap(out);
  }

 private:
  std::string literal_;           // used when regex_ is null (a non-empty string pattern)
  std::unique_ptr<Regex> regex_;  // a regex pattern, or the empty string pattern
  std::string content_;
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0, end = text.size();
    if (left_) {
      while (begin < end) {
        int len = 1;
        if (!is_whitespace(utf8_decode(text, begin, &len))) break;
        begin += len;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
        int len = 1;
        if (!is_whitespace(utf8_decode(text, start, &len))) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class StripAccents final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      int len = 1;
      const uint32_t cp = utf8_decode(text, i, &len);
      const auto c = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
      if (c < UTF8PROC_CATEGORY_MN || c > UTF8PROC_CATEGORY_ME) out.append(text, i, len);
      i += len;
    }
    text.swap(out);
  }
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size() * 2);
    byte_level::encode(text, out);
    text.swap(out);
  }
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& s : steps_) s->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

std::unique_ptr<Normalizer> make_replace(const Json& j, const JsonPath& at) {
  const Json& pattern = require_member(j, "pattern", at);
  const JsonPath pat = at / "pattern";
  require_object(pattern, pat);
  std::string content = required_string(j, "content", at);
  if (pattern.contains("String")) {
    std::string literal = required_string(pattern, "String", pat);
    if (literal.empty())
      return std::make_unique<Replace>("", std::make_unique<Regex>("", pat / "String"),
                                       std::move(content));
    return std::make_unique<Replace>(std::move(literal), nullptr, std::move(content));
  }
  if (pattern.contains("Regex"))
    return std::make_unique<Replace>(
        "", std::make_unique<Regex>(required_string(pattern, "Regex", pat), pat / "Regex"),
        std::move(content));
  pat.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

}  // namespace

void unicode_normalize(UnicodeForm form, std::string& text) {
  if (form == UnicodeForm::kNFC) return nfc(text);
  size_t i = 0;
  while (i < text.size() && static_cast<uint8_t>(text[i]) < 0x80) ++i;
  if (i == text.size()) return;  // ASCII is invariant under every form
  std::string out;
  append_mapped(form, text, out);
  text.swap(out);
}

std::unique_ptr<Normalizer> make_normalizer(const Json& j, const JsonPath& at) {
  if (j.is_null()) return nullptr;
  const std::string type = type_field(j, at);
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::kNFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::kNFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::kNFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::kNFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Prepend") return std::make_unique<Prepend>(required_string(j, "prepend", at));
  if (type == "Replace") return make_replace(j, at);
  if (type == "Strip")
    return std::make_unique<Strip>(bool_field(j, "strip_left", at, true),
                                   bool_field(j, "strip_right", at, true));
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Sequence") {
    const Json& list = require_member(j, "normalizers", at);
    if (!list.is_array()) (at / "normalizers").fail("expected a list");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_normalizer(list[i], (at / "normalizers")[i]);
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  (at / "type")
      .fail("unsupported normalizer '" + type +
            "' (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, StripAccents, "
            "ByteLevel, Sequence)");
}

}  // namespace ascent::tokenizer::hf
