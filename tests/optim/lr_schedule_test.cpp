// LrSchedule against Megatron's OptimizerParamScheduler.get_lr, rewritten here from its
// definition (init_lr 0, num_steps = iteration):
//   warmup_steps > 0 and n <= warmup_steps:  max_lr * n / warmup_steps
//   constant:                                max_lr
//   n > decay_steps:                         min_lr
//   else r = (n - warmup) / (decay - warmup); linear coeff 1 - r, cosine 0.5 (cos(pi r) + 1);
//        min_lr + coeff (max_lr - min_lr)
// plus exact values at the boundaries worked out by hand.
#include "optim/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "support/test_dir.h"

namespace ascent {
namespace {

using testing::expect_error;

double megatron_lr(const LrSchedule& s, int64_t n) {
  const double max_lr = s.lr, min_lr = s.min_lr;
  if (s.warmup_iters > 0 && n <= s.warmup_iters)
    return max_lr * static_cast<double>(n) / static_cast<double>(s.warmup_iters);
  if (s.style == LrDecayStyle::Constant) return max_lr;
  if (n > s.decay_iters) return min_lr;
  const double r =
      static_cast<double>(n - s.warmup_iters) / static_cast<double>(s.decay_iters - s.warmup_iters);
  const double coeff =
      s.style == LrDecayStyle::Linear ? 1.0 - r : 0.5 * (std::cos(std::numbers::pi * r) + 1.0);
  return min_lr + coeff * (max_lr - min_lr);
}

LrSchedule schedule(LrDecayStyle style, int64_t warmup, int64_t decay, float lr = 3e-4f,
                    float min_lr = 3e-5f) {
  LrSchedule s;
  s.lr = lr;
  s.min_lr = min_lr;
  s.style = style;
  s.warmup_iters = warmup;
  s.decay_iters = decay;
  s.validate();
  return s;
}

void expect_lr(const LrSchedule& s, int64_t n, double want) {
  EXPECT_NEAR(s.at(n), want, 1e-6 * s.lr + 1e-12) << "iteration " << n;
}

TEST(LrSchedule, MatchesMegatronEverywhereForEveryStyle) {
  for (LrDecayStyle style : {LrDecayStyle::Constant, LrDecayStyle::Linear, LrDecayStyle::Cosine})
    for (int64_t warmup : {0, 1, 7, 40})
      for (int64_t decay : {40, 41, 100}) {
        const LrSchedule s = schedule(style, warmup, decay);
        for (int64_t n = 0; n <= decay + 10; ++n) expect_lr(s, n, megatron_lr(s, n));
      }
}

TEST(LrSchedule, WarmupIsLinearFromZero) {
  const LrSchedule s = schedule(LrDecayStyle::Cosine, 4, 20, 1.f, 0.1f);
  EXPECT_EQ(s.at(0), 0.f);  // iteration 0 (before the first step) in warmup: 0
  EXPECT_FLOAT_EQ(s.at(1), 0.25f);
  EXPECT_FLOAT_EQ(s.at(2), 0.5f);
  EXPECT_FLOAT_EQ(s.at(3), 0.75f);
  EXPECT_FLOAT_EQ(s.at(4), 1.f);  // the end of warmup is the peak
}

TEST(LrSchedule, LinearDecayBoundaries) {
  const LrSchedule s = schedule(LrDecayStyle::Linear, 10, 30, 1.f, 0.2f);
  EXPECT_FLOAT_EQ(s.at(10), 1.f);                  // warmup end
  EXPECT_FLOAT_EQ(s.at(11), 0.2f + 0.8f * 0.95f);  // first decayed step
  EXPECT_FLOAT_EQ(s.at(20), 0.6f);                 // halfway
  EXPECT_FLOAT_EQ(s.at(30), 0.2f);                 // decay end reaches min_lr
  EXPECT_EQ(s.at(31), 0.2f);                       // beyond: the floor
  EXPECT_EQ(s.at(1000000), 0.2f);
}

TEST(LrSchedule, CosineDecayBoundaries) {
  const LrSchedule s = schedule(LrDecayStyle::Cosine, 0, 8, 2.f, 0.f);
  EXPECT_FLOAT_EQ(s.at(0), 2.f);                    // no warmup: iteration 0 is the peak
  EXPECT_FLOAT_EQ(s.at(2), 1.f + std::sqrt(0.5f));  // cos(pi/4)
  EXPECT_FLOAT_EQ(s.at(4), 1.f);                    // halfway: the mean of lr and min_lr
  EXPECT_NEAR(s.at(8), 0.f, 1e-7);
  EXPECT_EQ(s.at(9), 0.f);
}

TEST(LrSchedule, MinLrIsAFloorNotAnOffsetOfWarmup) {
  // Warmup starts at 0, not min_lr (Megatron's init_lr 0), and decay never goes below min_lr.
  const LrSchedule s = schedule(LrDecayStyle::Linear, 5, 15, 1.f, 0.5f);
  EXPECT_FLOAT_EQ(s.at(1), 0.2f);
  for (int64_t n = 5; n < 100; ++n) EXPECT_GE(s.at(n), 0.5f) << n;
  for (int64_t n = 6; n <= 15; ++n) EXPECT_LT(s.at(n), s.at(n - 1)) << n;
}

TEST(LrSchedule, ConstantIgnoresDecayItersAndMinLr) {
  const LrSchedule s = schedule(LrDecayStyle::Constant, 3, 5, 1.f, 0.1f);
  EXPECT_FLOAT_EQ(s.at(2), 2.f / 3.f);
  for (int64_t n : {3, 4, 5, 6, 500}) EXPECT_EQ(s.at(n), 1.f) << n;
  // Warmup longer than the decay horizon is fine for a constant schedule.
  const LrSchedule long_warmup = schedule(LrDecayStyle::Constant, 10, 5, 1.f, 0.f);
  EXPECT_FLOAT_EQ(long_warmup.at(5), 0.5f);
  EXPECT_EQ(long_warmup.at(11), 1.f);
}

TEST(LrSchedule, DecayEndingAtWarmupEndDropsToMinLr) {
  const LrSchedule s = schedule(LrDecayStyle::Cosine, 6, 6, 1.f, 0.25f);
  EXPECT_FLOAT_EQ(s.at(6), 1.f);
  EXPECT_EQ(s.at(7), 0.25f);
}

TEST(LrSchedule, ParseStyleAndValidateNameTheFlag) {
  EXPECT_EQ(parse_lr_decay_style("constant"), LrDecayStyle::Constant);
  EXPECT_EQ(parse_lr_decay_style("linear"), LrDecayStyle::Linear);
  EXPECT_EQ(parse_lr_decay_style("cosine"), LrDecayStyle::Cosine);
  expect_error([] { parse_lr_decay_style("inverse-square-root"); },
               {"[optim]", "--lr-decay-style", "inverse-square-root"});
  LrSchedule s;
  s.lr = -1.f;
  expect_error([&] { s.validate(); }, {"[optim]", "--lr "});
  s = {};
  s.min_lr = 2 * s.lr;
  expect_error([&] { s.validate(); }, {"--min-lr"});
  s = {};
  s.warmup_iters = -1;
  expect_error([&] { s.validate(); }, {"--lr-warmup-iters"});
  s = {};
  s.decay_iters = -1;
  expect_error([&] { s.validate(); }, {"--lr-decay-iters"});
  s = {};
  s.warmup_iters = 11;
  s.decay_iters = 10;
  expect_error([&] { s.validate(); }, {"--lr-warmup-iters", "--lr-decay-iters"});
}

}  // namespace
}  // namespace ascent
