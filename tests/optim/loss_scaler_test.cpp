// Loss scaling follows Megatron-LM's DynamicGradScaler step by step (the sequence below was worked
// out by hand from its rules: halve after `hysteresis` overflows, double after `window` clean
// steps, hysteresis count restored only when the scale grows).
#include "optim/loss_scaler.h"

#include <gtest/gtest.h>

#include "support/test_dir.h"

namespace ascent {
namespace {

using testing::expect_error;

TEST(LossScaler, DynamicHysteresisBackoffAndGrowth) {
  LossScaleConfig c;
  c.initial_scale = 1024;
  c.min_scale = 128;
  c.window = 3;
  c.hysteresis = 2;
  LossScaler s(c);
  EXPECT_EQ(s.scale(), 1024);
  // One overflow: skipped, scale kept (hysteresis 2 -> 1).
  EXPECT_FALSE(s.update(true));
  EXPECT_EQ(s.scale(), 1024);
  // Second overflow: halved; the count is not restored, so every further overflow halves.
  EXPECT_FALSE(s.update(true));
  EXPECT_EQ(s.scale(), 512);
  EXPECT_FALSE(s.update(true));
  EXPECT_EQ(s.scale(), 256);
  // Two clean steps, an overflow (growth count restarts, halves: hysteresis still spent).
  EXPECT_TRUE(s.update(false));
  EXPECT_TRUE(s.update(false));
  EXPECT_FALSE(s.update(true));
  EXPECT_EQ(s.scale(), 128);
  EXPECT_FALSE(s.update(true));
  EXPECT_EQ(s.scale(), 128);  // not below min_scale
  // Three clean steps in a row: doubled, hysteresis back to 2.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(s.update(false));
  EXPECT_EQ(s.scale(), 256);
  EXPECT_EQ(s.state().hysteresis_tracker, 2);
  EXPECT_EQ(s.state().growth_tracker, 0);
  EXPECT_FALSE(s.update(true));
  EXPECT_EQ(s.scale(), 256);  // one overflow is absorbed again
}

TEST(LossScaler, StaticScaleSkipsOverflowsButNeverMoves) {
  LossScaleConfig c;
  c.static_scale = 4096;
  c.window = 1;
  LossScaler s(c);
  EXPECT_FALSE(s.update(true));
  EXPECT_TRUE(s.update(false));
  EXPECT_TRUE(s.update(false));
  EXPECT_EQ(s.scale(), 4096);
}

TEST(LossScaler, StateRoundTrips) {
  LossScaleConfig c;
  c.window = 2;
  LossScaler a(c), b(c);
  a.update(true);
  a.update(false);
  b.restore(a.state());
  for (bool overflow : {false, true, true, false, false, false}) {
    EXPECT_EQ(a.update(overflow), b.update(overflow));
    EXPECT_EQ(a.scale(), b.scale());
  }
}

TEST(LossScaler, BadConfigNamesTheFlag) {
  LossScaleConfig c;
  c.window = 0;
  expect_error([&] { LossScaler s(c); }, {"--loss-scale-window"});
  c = {};
  c.hysteresis = 0;
  expect_error([&] { LossScaler s(c); }, {"--hysteresis"});
  c = {};
  c.min_scale = 2 * c.initial_scale;
  expect_error([&] { LossScaler s(c); }, {"--min-loss-scale"});
  c = {};
  c.static_scale = -1;
  expect_error([&] { LossScaler s(c); }, {"--loss-scale"});
}

}  // namespace
}  // namespace ascent
