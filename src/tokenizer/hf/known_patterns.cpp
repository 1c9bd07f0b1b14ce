#include "tokenizer/hf/known_patterns.h"

#include <atomic>
#include <string>

#include "tokenizer/hf/regex.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {
namespace {

enum : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4 };  // \p{L}, \p{N}, Oniguruma's \s

bool whole_match(const Regex& re, const std::string& s) {
  bool found = false;
  re.for_each_match(s, [&](size_t b, size_t e) { found |= b == 0 && e == s.size(); });
  return found;
}

uint8_t classify(uint32_t cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;  // surrogates never occur in valid UTF-8
  static const Regex letter("\\p{L}", JsonPath("", "letter"));
  static const Regex number("\\p{N}", JsonPath("", "number"));
  static const Regex space("\\s", JsonPath("", "space"));
  std::string s;
  utf8_append(s, cp);
  return static_cast<uint8_t>((whole_match(letter, s) ? kLetter : 0) |
                              (whole_match(number, s) ? kNumber : 0) |
                              (whole_match(space, s) ? kSpace : 0));
}

// Classes of all code points, one 256-entry table per block, computed on first use.
const uint8_t* block_classes(uint32_t block) {
  static std::atomic<const uint8_t*> blocks[0x1100];
  const uint8_t* p = blocks[block].load(std::memory_order_acquire);
  if (p != nullptr) return p;
  auto* table = new uint8_t[256];
  for (uint32_t k = 0; k < 256; ++k) table[k] = classify(block * 256 + k);
  const uint8_t* expected = nullptr;
  if (blocks[block].compare_exchange_strong(expected, table, std::memory_order_acq_rel))
    return table;
  delete[] table;  // another thread was first
  return expected;
}

struct Char {
  uint32_t cp;
  int len;
  uint8_t cls;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  Char at(size_t i) const {
    Char c;
    c.cp = utf8_decode(s_, i, &c.len);
    c.cls = block_classes(c.cp >> 8)[c.cp & 0xFF];
    return c;
  }
  static bool other(const Char& c) { return c.cls == 0; }  // [^\s\p{L}\p{N}]
  bool at_end(size_t i) const { return i >= s_.size(); }

  // End of the run from i of characters whose class has any of `mask` (at most `max` of them).
  size_t run(size_t i, uint8_t mask, size_t max = SIZE_MAX) const {
    for (size_t n = 0; n < max && !at_end(i); ++n) {
      const Char c = at(i);
      if ((c.cls & mask) == 0) break;
      i += c.len;
    }
    return i;
  }
  size_t other_run(size_t i) const {
    while (!at_end(i)) {
      const Char c = at(i);
      if (!other(c)) break;
      i += c.len;
    }
    return i;
  }

  // 's 't 're 've 'm 'll 'd at i (s_[i] is '\''); the length matched or 0. `fold`: case-insensitive
  // as (?i:...) under Unicode rules (only U+017F LONG S folds onto one of these letters).
  size_t contraction(size_t i, bool fold) const {
    const auto letter = [&](size_t k, char want) {
      if (at_end(k)) return 0;
      const Char c = at(k);
      if (c.cp == static_cast<uint32_t>(want)) return c.len;
      if (!fold) return 0;
      if (c.cp == static_cast<uint32_t>(want - 32)) return c.len;
      if (want == 's' && c.cp == 0x17F) return c.len;
      return 0;
    };
    const size_t k = i + 1;
    for (const char* alt : {"s", "t", "re", "ve", "m", "ll", "d"}) {
      size_t e = k;
      bool ok = true;
      for (const char* a = alt; *a && ok; ++a) {
        const int len = letter(e, *a);
        ok = len > 0;
        e += static_cast<size_t>(len);
      }
      if (ok) return e - i;
    }
    return 0;
  }

  // \s+(?!\S)|\s+ at i, where s_[i] is whitespace.
  size_t spaces(size_t i) const {
    const size_t e = run(i, kSpace);
    if (at_end(e)) return e;
    size_t last = e - 1;  // start of the run's last character
    while ((static_cast<uint8_t>(s_[last]) & 0xC0) == 0x80) --last;
    return last > i ? last : e;
  }

  std::string_view s_;
};

// LLaMA-3 (max_digits 3) and Qwen2 (max_digits 1):
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+
size_t llama3_match(const Scanner& sc, size_t i, size_t max_digits) {
  const Char c = sc.at(i);
  const size_t next = i + static_cast<size_t>(c.len);
  if (c.cp == '\'')
    if (const size_t k = sc.contraction(i, true)) return i + k;
  if (c.cls & kLetter) return sc.run(i, kLetter);
  const bool newline = c.cp == '\r' || c.cp == '\n';
  if (!newline && !(c.cls & kNumber) && !sc.at_end(next) && (sc.at(next).cls & kLetter))
    return sc.run(next, kLetter);
  if (c.cls & kNumber) return sc.run(i, kNumber, max_digits);
  size_t j = i;
  if (c.cp == ' ' && !sc.at_end(next) && Scanner::other(sc.at(next))) j = next;
  if (Scanner::other(sc.at(j))) {
    size_t e = sc.other_run(j);
    while (!sc.at_end(e) && (sc.s_[e] == '\r' || sc.s_[e] == '\n')) ++e;
    return e;
  }
  // c is whitespace from here on.
  const size_t e = sc.run(i, kSpace);
  for (size_t k = e; k > i; --k)  // \s*[\r\n]+: through the run's last line break
    if (sc.s_[k - 1] == '\r' || sc.s_[k - 1] == '\n') return k;
  return sc.spaces(i);
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t gpt2_match(const Scanner& sc, size_t i) {
  const Char c = sc.at(i);
  const size_t next = i + static_cast<size_t>(c.len);
  if (c.cp == '\'')
    if (const size_t k = sc.contraction(i, false)) return i + k;
  const bool space = c.cp == ' ' && !sc.at_end(next);
  const Char n = space ? sc.at(next) : c;
  if (space && (n.cls & kLetter)) return sc.run(next, kLetter);
  if (c.cls & kLetter) return sc.run(i, kLetter);
  if (space && (n.cls & kNumber)) return sc.run(next, kNumber);
  if (c.cls & kNumber) return sc.run(i, kNumber);
  if (space && Scanner::other(n)) return sc.other_run(next);
  if (Scanner::other(c)) return sc.other_run(i);
  return sc.spaces(i);
}

class KnownPatternFinder final : public MatchFinder {
 public:
  explicit KnownPatternFinder(size_t max_digits) : max_digits_(max_digits) {}
  void find(std::string_view piece, MatchSink& sink) const override {
    const Scanner sc(piece);
    for (size_t i = 0; i < piece.size();) {
      const size_t e = max_digits_ == 0 ? gpt2_match(sc, i) : llama3_match(sc, i, max_digits_);
      sink.on_match(i, e);
      i = e;
    }
  }

 private:
  size_t max_digits_;  // 0: GPT-2's pattern
};

}  // namespace

std::unique_ptr<MatchFinder> make_known_pattern_finder(std::string_view pattern) {
  if (pattern == kGpt2Pattern) return std::make_unique<KnownPatternFinder>(0);
  if (pattern == kLlama3Pattern) return std::make_unique<KnownPatternFinder>(3);
  if (pattern == kQwen2Pattern) return std::make_unique<KnownPatternFinder>(1);
  return nullptr;
}

}  // namespace ascent::tokenizer::hf
