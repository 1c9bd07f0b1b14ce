// Building blocks of the HF tokenizer: UTF-8 repair, the NFC fast path, regex translation and
// matching, the byte-level alphabet.
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdlib>
#include <random>

#include "tokenizer/hf/byte_level.h"
#include "tokenizer/hf/known_patterns.h"
#include "tokenizer/hf/normalizers.h"
#include "tokenizer/hf/regex.h"
#include "tokenizer/hf/unicode.h"
#include "tokenizer/hf_test_util.h"

namespace ascent::tokenizer::hf {
namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

std::string lossy(std::string_view s) {
  std::string out;
  append_utf8_lossy(out, s);
  return out;
}

TEST(HfUnits, Utf8LossyReplacesMaximalSubparts) {
  // The replacements Rust's String::from_utf8_lossy makes.
  EXPECT_EQ(lossy("plain ascii"), "plain ascii");
  EXPECT_EQ(lossy("a\x80z"), "a" + kFFFD + "z");
  EXPECT_EQ(lossy("\xC0\x80"), kFFFD + kFFFD);                          // overlong lead
  EXPECT_EQ(lossy("\xE0\x80\x80"), kFFFD + kFFFD + kFFFD);              // overlong 3-byte
  EXPECT_EQ(lossy("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD);              // surrogate
  EXPECT_EQ(lossy("\xF4\x90\x80\x80"), kFFFD + kFFFD + kFFFD + kFFFD);  // above U+10FFFF
  EXPECT_EQ(lossy("\xF0\x9F\x98"), kFFFD);                              // truncated: one subpart
  EXPECT_EQ(lossy("\xF0\x9F\x98x"), kFFFD + "x");
  EXPECT_EQ(lossy("\xE2\x82"), kFFFD);
  EXPECT_EQ(lossy("\xE2\x82\xAC\xFF"), "\xE2\x82\xAC" + kFFFD);
  EXPECT_TRUE(is_valid_utf8("日本 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
}

// utf8proc's NFC of the whole text, without the fast path.
std::string full_nfc(const std::string& s) {
  utf8proc_uint8_t* dst = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &dst, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::string out(reinterpret_cast<const char*>(dst), n < 0 ? 0 : static_cast<size_t>(n));
  std::free(dst);
  return out;
}

TEST(HfUnits, NfcFastPathMatchesFullNormalization) {
  std::vector<std::string> texts = ascent::testing::hf_varied_texts();
  // Random mixes of starters, combining marks, Hangul jamo and precomposed letters.
  const std::vector<std::string> parts = {
      "a",      "e",      "\u0301", "\u0323", "\u0302", "\u1100", "\u1161",
      "\u11A8", "\uAC00", "\u212B", "\u00C5", "\u304B", "\u3099", "漢",
      " ",      "\u0F71", "\u0F72", "\u0DD9", "\u0DCF", "\u0DCA", "x\u0308"};
  std::mt19937 rng(3);
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    for (int k = 0, len = 1 + static_cast<int>(rng() % 8); k < len; ++k)
      s += parts[rng() % parts.size()];
    texts.push_back(s);
  }
  for (const std::string& t : texts) {
    std::string fast = t;
    unicode_normalize(UnicodeForm::kNFC, fast);
    EXPECT_EQ(fast, full_nfc(t)) << nlohmann::json(t).dump();
  }
  std::string s = "e\u0301 A\u030A \u1100\u1161\u11A8";
  unicode_normalize(UnicodeForm::kNFC, s);
  EXPECT_EQ(s, "\u00E9 \u00C5 \uAC01");
}

TEST(HfUnits, OnigurumaPatternsTranslate) {
  EXPECT_EQ(onig_to_pcre2("\\s+"), "[\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}]+");
  EXPECT_EQ(onig_to_pcre2("[^\\s\\p{L}]"), "[^\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}\\p{L}]");
  EXPECT_EQ(onig_to_pcre2("\\S"), "[^\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}]");
  EXPECT_EQ(onig_to_pcre2("(?i:'s)"), "(?i:'s)");
  EXPECT_EQ(onig_to_pcre2("(?m:.)"), "(?s:.)");
  EXPECT_EQ(onig_to_pcre2("\\h"), "[0-9a-fA-F]");
  EXPECT_EQ(onig_to_pcre2("[]a]"), "[]a]");
  EXPECT_EQ(onig_to_pcre2("\\\\s"), "\\\\s");
}

std::vector<std::pair<size_t, size_t>> matches(const std::string& pattern,
                                               const std::string& text) {
  const Regex re(pattern, JsonPath("test", "pattern"));
  std::vector<std::pair<size_t, size_t>> out;
  re.for_each_match(text, [&](size_t s, size_t e) { out.emplace_back(s, e); });
  return out;
}

TEST(HfUnits, RegexFindsLikeOnigurumaFindIter) {
  using M = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(matches("x*", "axb"), (M{{0, 0}, {1, 2}, {3, 3}}));
  EXPECT_EQ(matches("\\s+(?!\\S)|\\s+", "a   b"), (M{{1, 3}, {3, 4}}));
  EXPECT_EQ(matches("\\s", "a\u0085b\u00A0c\u3000"), (M{{1, 3}, {4, 6}, {7, 10}}));
  EXPECT_EQ(matches("\\p{N}{1,3}", "12345"), (M{{0, 3}, {3, 5}}));
  EXPECT_EQ(matches(escape_literal("a.\\E*"), "xa.\\E*a.b"), (M{{1, 6}}));
  EXPECT_TRUE(matches("z", "").empty());
  // A long run of one class backtracks deeply; the JIT stack copes.
  const std::string spaces(200000, ' ');
  EXPECT_EQ(matches("\\s+(?!\\S)|\\s+", spaces + "x"), (M{{0, 199999}, {199999, 200000}}));
  EXPECT_THROW(Regex("(", JsonPath("f.json", "pre_tokenizer.pattern.Regex")), ascent::Error);
  EXPECT_THROW(Regex("[a-z&&[^aeiou]]", JsonPath("f.json", "p")), ascent::Error);
}

class Collect final : public MatchSink {
 public:
  void on_match(size_t s, size_t e) override { got.emplace_back(s, e); }
  std::vector<std::pair<size_t, size_t>> got;
};

// The hand-written matchers find exactly what PCRE2 finds for the same pattern.
TEST(HfUnits, KnownPatternMatchersEqualTheRegex) {
  std::vector<std::string> texts = ascent::testing::hf_varied_texts();
  const std::vector<std::string> pool = {
      "a",      "Z",        "é",      "ß",  "ſ",    "K",      "中", "ｶ",      "ا",
      "ह",      "\u0301",   "\u0903", "1",  "٣",    "½",      "Ⅻ",  "²",      " ",
      "  ",     "\t",       "\n",     "\r", "\r\n", "\u000B", "\f", "\u0085", "\u00A0",
      "\u3000", "\u2028",   "\u200B", "'",  "'s",   "'S",     "'ſ", "'ll",    "'LL",
      "'Re",    "'ve",      "'d",     "'m", "'t",   "!",      ".",  "-",      "_",
      "😀",      "👍🏽", "\u200D", "$",  "\x01", "<|",     "▁",  "Ġ"};
  std::mt19937 rng(11);
  for (int n = 0; n < 3000; ++n) {
    std::string s;
    for (int k = 0, len = 1 + static_cast<int>(rng() % 14); k < len; ++k)
      s += pool[rng() % pool.size()];
    texts.push_back(s);
  }
  for (const std::string_view pattern : {kGpt2Pattern, kLlama3Pattern, kQwen2Pattern}) {
    const auto fast = make_known_pattern_finder(pattern);
    ASSERT_TRUE(fast);
    const Regex re(pattern, JsonPath("test", "pattern"));
    for (const std::string& t : texts) {
      Collect c;
      fast->find(t, c);
      std::vector<std::pair<size_t, size_t>> want;
      re.for_each_match(t, [&](size_t s, size_t e) { want.emplace_back(s, e); });
      ASSERT_EQ(c.got, want) << pattern << "\n" << nlohmann::json(t).dump();
    }
  }
  EXPECT_FALSE(make_known_pattern_finder("\\s+"));
}

TEST(HfUnits, ByteLevelAlphabet) {
  EXPECT_EQ(byte_level::char_of(' '), 0x120u);   // Ġ
  EXPECT_EQ(byte_level::char_of('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(byte_level::char_of('a'), static_cast<uint32_t>('a'));
  EXPECT_EQ(byte_level::char_of(0xAD), 0x143u);
  for (int b = 0; b < 256; ++b)
    EXPECT_EQ(byte_level::byte_of(byte_level::char_of(static_cast<uint8_t>(b))), b);
  EXPECT_EQ(byte_level::byte_of(0x20), -1);
  EXPECT_EQ(byte_level::byte_of(0x4E00), -1);
  std::string out;
  byte_level::encode("a b\n", out);
  EXPECT_EQ(out, "a\u0120b\u010A");
}

}  // namespace
}  // namespace ascent::tokenizer::hf
