// Resume is bit-identical: 20 iterations in one run against 10 iterations, a checkpoint, and a
// resumed run to 20 (same --lr-decay-iters). Losses and gradient norms of iterations 11-20 must
// be equal bit for bit, in f32, bf16 and fp16 (whose loss scaler state must carry over too).
#include <gtest/gtest.h>

#include <algorithm>

#include "train_test_util.h"

namespace ascent {
namespace {

class Resume : public ::testing::TestWithParam<std::string> {};

TEST_P(Resume, ContinuedRunIsBitIdentical) {
  const std::string dtype = GetParam();
  const std::string dir = testing::scratch_dir("resume_" + dtype);
  const std::string prefix = testing::random_dataset(dir, 200, 512, 5);

  TrainArgs full = testing::tiny_args(prefix);
  full.precision.bf16 = dtype == "bf16";
  full.precision.fp16 = dtype == "fp16";
  // fp16: a scale that grows every 3 clean steps until the gradients overflow, so the scale, its
  // counters and the skipped steps all differ across the checkpoint.
  full.loss_scale.initial_scale = 65536;
  full.loss_scale.window = 3;
  full.loss_scale.hysteresis = 1;
  full.finalize();
  const std::vector<IterationStats> run = testing::expect_resume_bit_identical(full, dir);
  if (full.precision.fp16 && run.size() == 20u) {
    const auto [lo, hi] = std::minmax_element(run.begin() + 10, run.end(),
                                              [](const IterationStats& a, const IterationStats& b) {
                                                return a.loss_scale < b.loss_scale;
                                              });
    EXPECT_LT(lo->loss_scale, hi->loss_scale) << "the scale never moved after the checkpoint";
    EXPECT_TRUE(std::any_of(run.begin(), run.end(), [](const auto& s) { return s.skipped; }));
  }
}

INSTANTIATE_TEST_SUITE_P(Precision, Resume, ::testing::Values("f32", "bf16", "fp16"),
                         [](const auto& i) { return i.param; });

}  // namespace
}  // namespace ascent
