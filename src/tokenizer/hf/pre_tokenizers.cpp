#include "tokenizer/hf/pre_tokenizers.h"

#include <vector>

#include "tokenizer/hf/byte_level.h"
#include "tokenizer/hf/known_patterns.h"
#include "tokenizer/hf/regex.h"
#include "tokenizer/hf/split.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {
namespace {

class RegexFinder final : public MatchFinder {
 public:
  explicit RegexFinder(std::unique_ptr<Regex> re) : re_(std::move(re)) {}
  void find(std::string_view piece, MatchSink& sink) const override {
    re_->for_each_match(piece, [&](size_t s, size_t e) { sink.on_match(s, e); });
  }

 private:
  std::unique_ptr<Regex> re_;
};

class LiteralFinder final : public MatchFinder {
 public:
  explicit LiteralFinder(std::string literal) : literal_(std::move(literal)) {}
  void find(std::string_view piece, MatchSink& sink) const override {
    for (size_t at = piece.find(literal_); at != std::string_view::npos;
         at = piece.find(literal_, at + literal_.size()))
      sink.on_match(at, at + literal_.size());
  }

 private:
  std::string literal_;
};

// Every character for which Pred holds is one delimiter.
template <bool (*Pred)(uint32_t)>
class CharFinder final : public MatchFinder {
 public:
  void find(std::string_view piece, MatchSink& sink) const override {
    for (size_t i = 0; i < piece.size();) {
      int len = 1;
      const uint32_t cp = utf8_decode(piece, i, &len);
      if (Pred(cp)) sink.on_match(i, i + len);
      i += len;
    }
  }
};

// The words of `\w+|[^\w\s]+` (Rust regex semantics), for the Whitespace pre-tokenizer.
class WordFinder final : public MatchFinder {
 public:
  void find(std::string_view piece, MatchSink& sink) const override {
    size_t i = 0;
    while (i < piece.size()) {
      int len = 1;
      uint32_t cp = utf8_decode(piece, i, &len);
      if (!is_word_char(cp) && is_whitespace(cp)) {
        i += len;
        continue;
      }
      const bool word = is_word_char(cp);
      const size_t start = i;
      i += len;
      while (i < piece.size()) {
        cp = utf8_decode(piece, i, &len);
        const bool w = is_word_char(cp);
        if (word ? !w : (w || is_whitespace(cp))) break;
        i += len;
      }
      sink.on_match(start, i);
    }
  }
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(std::unique_ptr<MatchFinder> finder, SplitBehavior behavior, bool invert)
      : finder_(std::move(finder)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(Pieces& pieces, Pieces& scratch) const override {
    if (pieces.bytes_pending) pieces.materialize_bytes();
    split_pieces(pieces, scratch, *finder_, behavior_, invert_);
  }

 private:
  std::unique_ptr<MatchFinder> finder_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex, bool defer_bytes)
      : add_prefix_space_(add_prefix_space), defer_bytes_(defer_bytes) {
    if (use_regex) finder_ = make_known_pattern_finder(kGpt2Pattern);
  }

  void pre_tokenize(Pieces& pieces, Pieces& scratch) const override {
    if (pieces.bytes_pending) pieces.materialize_bytes();
    if (add_prefix_space_) add_prefix_space(pieces, scratch);
    if (finder_) split_pieces(pieces, scratch, *finder_, SplitBehavior::kIsolated, false);
    pieces.bytes_pending = true;
    if (!defer_bytes_) pieces.materialize_bytes();
  }

 private:
  static void add_prefix_space(Pieces& pieces, Pieces& scratch) {
    bool any = false;
    for (const auto& p : pieces.list) any |= p.begin < p.end && pieces.text[p.begin] != ' ';
    if (!any) return;
    scratch.text.clear();
    scratch.list.clear();
    for (const auto& p : pieces.list) {
      const auto begin = static_cast<uint32_t>(scratch.text.size());
      if (p.begin < p.end && pieces.text[p.begin] != ' ') scratch.text += ' ';
      scratch.text.append(pieces.view(p));
      scratch.list.push_back({begin, static_cast<uint32_t>(scratch.text.size()), p.first});
    }
    pieces.text.swap(scratch.text);
    pieces.list.swap(scratch.list);
  }

  bool add_prefix_space_;
  bool defer_bytes_;
  std::unique_ptr<MatchFinder> finder_;
};

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)),
        scheme_(scheme),
        split_(split),
        finder_(replacement_) {}

  void pre_tokenize(Pieces& pieces, Pieces& scratch) const override {
    if (pieces.bytes_pending) pieces.materialize_bytes();
    scratch.text.clear();
    scratch.list.clear();
    for (const auto& p : pieces.list) {
      const std::string_view s = pieces.view(p);
      const auto begin = static_cast<uint32_t>(scratch.text.size());
      const bool starts = s.substr(0, replacement_.size()) == replacement_ ||
                          (!s.empty() && s[0] == ' ');  // the space becomes the replacement
      if (!starts &&
          (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && p.first)))
        scratch.text += replacement_;
      for (const char c : s) {
        if (c == ' ')
          scratch.text += replacement_;
        else
          scratch.text += c;
      }
      scratch.list.push_back({begin, static_cast<uint32_t>(scratch.text.size()), p.first});
    }
    pieces.text.swap(scratch.text);
    pieces.list.swap(scratch.list);
    if (split_) split_pieces(pieces, scratch, finder_, SplitBehavior::kMergedWithNext, false);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  LiteralFinder finder_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void pre_tokenize(Pieces& pieces, Pieces& scratch) const override {
    for (const auto& s : steps_) s->pre_tokenize(pieces, scratch);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

std::unique_ptr<PreTokenizer> make_split(const Json& j, const JsonPath& at) {
  const Json& pattern = require_member(j, "pattern", at);
  const JsonPath pat = at / "pattern";
  require_object(pattern, pat);
  std::unique_ptr<MatchFinder> finder;
  if (pattern.contains("String")) {
    std::string literal = required_string(pattern, "String", pat);
    if (literal.empty())
      finder = std::make_unique<RegexFinder>(std::make_unique<Regex>("", pat / "String"));
    else
      finder = std::make_unique<LiteralFinder>(std::move(literal));
  } else if (pattern.contains("Regex")) {
    const std::string re = required_string(pattern, "Regex", pat);
    finder = make_known_pattern_finder(re);
    if (!finder) finder = std::make_unique<RegexFinder>(std::make_unique<Regex>(re, pat / "Regex"));
  } else {
    pat.fail("expected {\"String\": ...} or {\"Regex\": ...}");
  }
  return std::make_unique<SplitPreTokenizer>(std::move(finder), parse_behavior(j, "behavior", at),
                                             bool_field(j, "invert", at, false));
}

std::unique_ptr<PreTokenizer> make_metaspace(const Json& j, const JsonPath& at) {
  return std::make_unique<MetaspacePreTokenizer>(char_field(j, "replacement", at, "\xE2\x96\x81"),
                                                 parse_prepend_scheme(j, at),
                                                 bool_field(j, "split", at, true));
}

std::unique_ptr<PreTokenizer> char_split(std::unique_ptr<MatchFinder> finder,
                                         SplitBehavior behavior) {
  return std::make_unique<SplitPreTokenizer>(std::move(finder), behavior, false);
}

}  // namespace

PrependScheme parse_prepend_scheme(const Json& j, const JsonPath& at) {
  const std::string s = string_field(j, "prepend_scheme", at, "always");
  PrependScheme scheme = PrependScheme::kAlways;
  if (s == "first") {
    scheme = PrependScheme::kFirst;
  } else if (s == "never") {
    scheme = PrependScheme::kNever;
  } else if (s != "always") {
    (at / "prepend_scheme").fail("unknown value '" + s + "' (expected always, first or never)");
  }
  if (!bool_field(j, "add_prefix_space", at, true) && scheme != PrependScheme::kNever)
    (at / "add_prefix_space")
        .fail("false does not match prepend_scheme '" + s + "' (use prepend_scheme \"never\")");
  return scheme;
}

void Pieces::materialize_bytes() {
  if (!bytes_pending) return;
  std::string mapped;
  mapped.reserve(text.size() * 2);
  std::vector<Piece> out;
  out.reserve(list.size());
  for (const Piece& p : list) {
    const auto begin = static_cast<uint32_t>(mapped.size());
    byte_level::encode(view(p), mapped);
    out.push_back({begin, static_cast<uint32_t>(mapped.size()), p.first});
  }
  text.swap(mapped);
  list.swap(out);
  bytes_pending = false;
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& j, const JsonPath& at,
                                                 bool defer_bytes) {
  if (j.is_null()) return nullptr;
  const std::string type = type_field(j, at);
  if (type == "Split") return make_split(j, at);
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(bool_field(j, "add_prefix_space", at, true),
                                                   bool_field(j, "use_regex", at, true),
                                                   defer_bytes);
  if (type == "Metaspace") return make_metaspace(j, at);
  if (type == "Digits")
    return char_split(std::make_unique<CharFinder<is_numeric>>(),
                      bool_field(j, "individual_digits", at, false) ? SplitBehavior::kIsolated
                                                                    : SplitBehavior::kContiguous);
  if (type == "Whitespace")
    return std::make_unique<SplitPreTokenizer>(std::make_unique<WordFinder>(),
                                               SplitBehavior::kRemoved, true);
  if (type == "WhitespaceSplit")
    return char_split(std::make_unique<CharFinder<is_whitespace>>(), SplitBehavior::kRemoved);
  if (type == "Punctuation")
    return char_split(std::make_unique<CharFinder<is_punctuation>>(),
                      parse_behavior(j, "behavior", at));
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    steps.push_back(
        char_split(std::make_unique<CharFinder<is_whitespace>>(), SplitBehavior::kRemoved));
    steps.push_back(
        char_split(std::make_unique<CharFinder<is_punctuation>>(), SplitBehavior::kIsolated));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (type == "CharDelimiterSplit")
    return char_split(std::make_unique<LiteralFinder>(char_field(j, "delimiter", at, "")),
                      SplitBehavior::kRemoved);
  if (type == "Sequence") {
    const Json& list = require_member(j, "pretokenizers", at);
    if (!list.is_array()) (at / "pretokenizers").fail("expected a list");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_pre_tokenizer(list[i], (at / "pretokenizers")[i],
                                     defer_bytes && i + 1 == list.size());
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  (at / "type")
      .fail("unsupported pre-tokenizer '" + type +
            "' (supported: Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, "
            "Punctuation, BertPreTokenizer, CharDelimiterSplit, Sequence)");
}

}  // namespace ascent::tokenizer::hf
