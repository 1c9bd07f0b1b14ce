// Instruction samples longer than a row are counted (cut, losing part of the answer, losing all of
// it), and --long-samples drop keeps only those that fit.
#include "data/instruction_fit.h"

#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "data/instruction_test_util.h"

namespace ascent::data::testing {
namespace {

TEST(InstructionFit, CountsCutAndEmptiedSamples) {
  TestDir dir;
  const std::string prefix = dir / "sft";
  write_instruction_triple(prefix,
                           {
                               {{1, 2, 3, 4}, {-100, -100, 3, 4}},           // fits T = 4
                               {{1, 2, 3, 4, 5, 6}, {-100, 2, 3, 4, 5, 6}},  // cut, loses 6
                               {{1, 2, 3, 4, 5, 6}, {-100, -100, -100, -100, -100, 6}},  // emptied
                               {{1, 2, 3}, {-100, -100, -100}},  // never had any
                           });
  const InstructionDataset ds(prefix);
  const std::vector<int64_t> all = {0, 1, 2, 3};
  const SampleFit f = fit_samples(ds, all, 4);
  EXPECT_EQ(f.samples, 4);
  EXPECT_EQ(f.cut, 2);
  EXPECT_EQ(f.lose_labels, 2);
  EXPECT_EQ(f.emptied, 1);
  EXPECT_EQ(f.without_labels, 2);
  EXPECT_EQ(f.fitting_without_labels, 1);
  EXPECT_EQ(f.longest, 6);
  EXPECT_EQ(f.fitting, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(describe_cut(f, 4),
            "2 of 4 samples (50%) are longer than --seq-length 4 + 1 tokens (the longest has 6): "
            "1 lose part of their answer, 1 all of it");
  const SampleFit wide = fit_samples(ds, all, 5);
  EXPECT_EQ(wide.cut, 0);
  EXPECT_EQ(wide.without_labels, 1);
  EXPECT_EQ(describe_cut(wide, 5), "");
  EXPECT_EQ(parse_long_samples("drop"), LongSamples::kDrop);
  expect_error([] { parse_long_samples("keep"); }, {"--long-samples", "keep"});
}

}  // namespace
}  // namespace ascent::data::testing
