// --fp16: f16 operands with loss scaling. With a scale that never overflows the run follows f32;
// from Megatron's default 2^32 the first steps overflow, are skipped (no optimizer step, the LR
// schedule waits) and the scale backs off until the steps go through.
#include <gtest/gtest.h>

#include "train_test_util.h"

namespace ascent {
namespace {

std::vector<IterationStats> train(TrainArgs a) {
  a.finalize();
  Trainer t(a, model_config_from_args(a, 0));
  return t.run();
}

TEST(Fp16, FollowsF32WhenNothingOverflows) {
  const std::string dir = testing::scratch_dir("fp16_follows");
  TrainArgs a = testing::tiny_args(testing::random_dataset(dir, 200, 512, 5));
  const std::vector<IterationStats> f32 = train(a);
  a.precision.fp16 = true;
  a.loss_scale.static_scale = 1024;
  const std::vector<IterationStats> f16 = train(a);
  ASSERT_EQ(f16.size(), f32.size());
  for (size_t i = 0; i < f32.size(); ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i + 1));
    EXPECT_FALSE(f16[i].skipped);
    EXPECT_EQ(f16[i].loss_scale, 1024);
    EXPECT_NEAR(f16[i].loss, f32[i].loss, 5e-3 * f32[i].loss);
    EXPECT_NEAR(f16[i].grad_norm, f32[i].grad_norm, 2e-2 * f32[i].grad_norm);
    EXPECT_EQ(f16[i].lr, f32[i].lr);
  }
}

TEST(Fp16, OverflowsAreSkippedAndTheScaleBacksOff) {
  const std::string dir = testing::scratch_dir("fp16_backoff");
  TrainArgs a = testing::tiny_args(testing::random_dataset(dir, 200, 512, 5));
  const std::vector<IterationStats> f32 = train(a);
  a.precision.fp16 = true;  // Megatron's defaults: 2^32, hysteresis 2
  const std::vector<IterationStats> f16 = train(a);
  ASSERT_EQ(f16.size(), 20u);
  // 2^32 overflows; the first overflow is absorbed by the hysteresis, then every one halves.
  ASSERT_TRUE(f16[0].skipped && f16[1].skipped);
  EXPECT_EQ(f16[0].loss_scale, 4294967296.0);
  EXPECT_EQ(f16[1].loss_scale, 4294967296.0);
  EXPECT_EQ(f16[2].loss_scale, 2147483648.0);
  size_t first = 0;
  while (first < f16.size() && f16[first].skipped) {
    EXPECT_TRUE(std::isnan(f16[first].grad_norm) || std::isinf(f16[first].grad_norm));
    ++first;
  }
  ASSERT_LT(first, f16.size()) << "every step overflowed";
  // The schedule waited: the first step taken uses the first step's learning rate.
  EXPECT_EQ(f16[first].lr, f32[0].lr);
  // Skipped steps left the weights alone: the first step taken still sees an untrained model.
  EXPECT_NEAR(f16[first].loss, f32[0].loss, 5e-2 * f32[0].loss);
  EXPECT_LT(f16.back().loss, f16[first].loss);
}

}  // namespace
}  // namespace ascent
