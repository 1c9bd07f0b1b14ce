#include "core/int_list.h"

#include <gtest/gtest.h>

namespace ascent {
namespace {

TEST(IntList, ParsesEveryItem) {
  std::string bad;
  EXPECT_EQ(parse_int_list("5,6,6,5", &bad), (std::vector<int64_t>{5, 6, 6, 5}));
  EXPECT_EQ(parse_int_list("7", &bad), (std::vector<int64_t>{7}));
  EXPECT_EQ(parse_int_list("-1,0", &bad), (std::vector<int64_t>{-1, 0}));
  EXPECT_TRUE(bad.empty());
}

TEST(IntList, NamesTheFirstBadItem) {
  const std::pair<const char*, const char*> cases[] = {
      {"5,x,6", "x"}, {"1,2,", ""}, {"", ""}, {"1,,2", ""}, {"3 ,4", "3 "},
      {"1.5", "1.5"}, {"99999999999999999999", "99999999999999999999"}};
  for (const auto& [text, item] : cases) {
    std::string bad = "unset";
    EXPECT_FALSE(parse_int_list(text, &bad).has_value()) << text;
    EXPECT_EQ(bad, item) << text;
  }
}

}  // namespace
}  // namespace ascent
