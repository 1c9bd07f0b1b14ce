// Resume is bit-identical: 20 iterations in one run against 10 iterations, a checkpoint, and a
// resumed run to 20 (same --lr-decay-iters). Losses and gradient norms of iterations 11-20 must
// be equal bit for bit, in f32 and in bf16.
#include <gtest/gtest.h>

#include "train_test_util.h"

namespace ascent {
namespace {

class Resume : public ::testing::TestWithParam<bool> {};

TEST_P(Resume, ContinuedRunIsBitIdentical) {
  const bool bf16 = GetParam();
  const std::string dir = testing::scratch_dir(bf16 ? "resume_bf16" : "resume_f32");
  const std::string prefix = testing::random_dataset(dir, 200, 512, 5);

  TrainArgs full = testing::tiny_args(prefix);
  full.bf16 = bf16;
  full.finalize();
  testing::expect_resume_bit_identical(full, dir);
}

INSTANTIATE_TEST_SUITE_P(Precision, Resume, ::testing::Values(false, true),
                         [](const auto& i) { return i.param ? "bf16" : "f32"; });

}  // namespace
}  // namespace ascent
