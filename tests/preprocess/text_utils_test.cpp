// Python string semantics the handlers rely on, and UTF-8 validation.
#include "preprocess/text_utils.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ascent::preprocess::text {
namespace {

TEST(TextUtils, StripRemovesWhatPythonCallsWhitespace) {
  EXPECT_EQ(strip("  \t\n a b \r\n\v\f"), "a b");
  EXPECT_EQ(strip("\u3000全角\u00a0"), "全角");  // ideographic space, no-break space
  EXPECT_EQ(strip("\u2003x\u2028\u0085"), "x");
  EXPECT_EQ(strip("\x1c\x1fx"), "x");
  EXPECT_EQ(strip("   "), "");
  EXPECT_EQ(strip(""), "");
  EXPECT_EQ(strip("\u200bx\u200b"), "\u200bx\u200b");  // zero-width space is not whitespace
  EXPECT_EQ(strip("é"), "é");
}

TEST(TextUtils, SplitKeepsEmptyPiecesLikePython) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(split("Human:a Assistant:b Human:c", "Human:"), (V{"", "a Assistant:b ", "c"}));
  EXPECT_EQ(split("abc", "x"), (V{"abc"}));
  EXPECT_EQ(split("", "x"), (V{""}));
  EXPECT_EQ(split("xx", "x"), (V{"", "", ""}));
  EXPECT_EQ(before_first("a```b```c", "```"), "a");
  EXPECT_EQ(before_last("a### Response:b### Response:c", "### Response:"), "a### Response:b");
  EXPECT_EQ(before_last("none", "###"), "none");
  EXPECT_EQ(replace_all("<eoh>a<eoh>", "<eoh>", ""), "a");
  EXPECT_EQ(replace_all("aaa", "aa", "b"), "ba");
}

TEST(TextUtils, ValidUtf8) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii text, long enough for the 8-byte path"));
  EXPECT_TRUE(valid_utf8("你好 😀 é \xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(valid_utf8("abc\xFF"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("abcdefgh\xE4\xBD"));  // cut sequence at the end
  EXPECT_FALSE(valid_utf8("\x80 continuation first"));
}

}  // namespace
}  // namespace ascent::preprocess::text
