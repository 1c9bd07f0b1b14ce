#include "core/parse_number.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ascent {
namespace {

TEST(ParseNumber, WholeTextOnly) {
  EXPECT_EQ(parse_whole_int("42"), 42);
  EXPECT_EQ(parse_whole_int("-7"), -7);
  EXPECT_EQ(parse_whole_int("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", " 5", "5 ", "5x", "1.5", "x", "9223372036854775808"})
    EXPECT_FALSE(parse_whole_int(bad).has_value()) << "'" << bad << "'";
  EXPECT_EQ(parse_whole_double("0.25"), 0.25);
  EXPECT_EQ(parse_whole_double("1e3"), 1000.0);
  EXPECT_TRUE(std::isinf(*parse_whole_double("inf")));
  for (const char* bad : {"", "0.5 ", "1,5", "w", "1e999"})
    EXPECT_FALSE(parse_whole_double(bad).has_value()) << "'" << bad << "'";
}

TEST(IntList, ParsesEveryItem) {
  std::string bad;
  EXPECT_EQ(parse_int_list("5,6,6,5", &bad), (std::vector<int64_t>{5, 6, 6, 5}));
  EXPECT_EQ(parse_int_list("7", &bad), (std::vector<int64_t>{7}));
  EXPECT_EQ(parse_int_list("-1,0", &bad), (std::vector<int64_t>{-1, 0}));
  EXPECT_TRUE(bad.empty());
}

TEST(IntList, NamesTheFirstBadItem) {
  const std::pair<const char*, const char*> cases[] = {
      {"5,x,6", "x"},
      {"1,2,", ""},
      {"", ""},
      {"1,,2", ""},
      {"3 ,4", "3 "},
      {"1.5", "1.5"},
      {"99999999999999999999", "99999999999999999999"}};
  for (const auto& [text, item] : cases) {
    std::string bad = "unset";
    EXPECT_FALSE(parse_int_list(text, &bad).has_value()) << text;
    EXPECT_EQ(bad, item) << text;
  }
}

}  // namespace
}  // namespace ascent
