// Loss scaling follows Megatron-LM's DynamicGradScaler step by step (the sequence below was worked
// out by hand from its rules: halve after `hysteresis` overflows, double after `window` clean
// steps, hysteresis count restored only when the scale grows).
#include "optim/loss_scaler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(LossScaler, CountsSkippedStepsInARowUpToTheLimit) {
  LossScaleConfig c;
  c.max_skipped_steps = 3;
  LossScaler s(c);
  s.update(true);
  s.update(true);
  EXPECT_EQ(s.skipped_in_a_row(), 2);
  EXPECT_FALSE(s.too_many_skipped());
  s.update(false);  // a clean step starts the count over
  EXPECT_EQ(s.skipped_in_a_row(), 0);
  for (int i = 0; i < 3; ++i) s.update(true);
  EXPECT_TRUE(s.too_many_skipped());
  // A static scale counts alike; 0 means no limit.
  c.static_scale = 8;
  c.max_skipped_steps = 0;
  LossScaler fixed(c);
  for (int i = 0; i < 1000; ++i) fixed.update(true);
  EXPECT_EQ(fixed.skipped_in_a_row(), 1000);
  EXPECT_FALSE(fixed.too_many_skipped());
  c = {};
  c.max_skipped_steps = -1;
  expect_error([&] { LossScaler bad(c); }, {"--max-skipped-steps"});
}

// The keys and values the trainer wrote by hand before to_json() existed (trainer.cpp save()).
nlohmann::json hand_written_state(const LossScaler::State& ls) {
  return {{"scale", ls.scale},
          {"growth_tracker", ls.growth_tracker},
          {"hysteresis_tracker", ls.hysteresis_tracker}};
}

TEST(LossScaler, ToJsonHasTheCheckpointKeysAndValues) {
  LossScaleConfig c;
  c.initial_scale = 65536;
  c.window = 5;
  c.hysteresis = 3;
  LossScaler s(c);
  s.update(true);   // hysteresis 3 -> 2
  s.update(false);  // growth 1
  s.update(false);  // growth 2
  const nlohmann::json j = s.to_json();
  EXPECT_EQ(j, nlohmann::json::parse(R"({"scale": 65536.0, "growth_tracker": 2,
                                         "hysteresis_tracker": 2})"));
  EXPECT_EQ(j, hand_written_state(s.state()));
  EXPECT_EQ(j.dump(), hand_written_state(s.state()).dump());  // same metadata.json bytes
  EXPECT_TRUE(j.at("growth_tracker").is_number_integer());
  EXPECT_TRUE(j.at("scale").is_number_float());
}

TEST(LossScaler, JsonRoundTripThroughTextContinuesIdentically) {
  LossScaleConfig c;
  c.initial_scale = 3.0 * 1024 * 1024 + 0.125;  // not a power of two: every digit must survive
  c.window = 3;
  c.hysteresis = 2;
  LossScaler a(c), b(c);
  for (bool overflow : {true, true, true, false, false}) a.update(overflow);
  ASSERT_LT(a.state().hysteresis_tracker, 0);  // spent past zero: must survive too
  b.restore_json(nlohmann::json::parse(a.to_json().dump()));
  EXPECT_EQ(b.state().scale, a.state().scale);
  EXPECT_EQ(b.state().growth_tracker, a.state().growth_tracker);
  EXPECT_EQ(b.state().hysteresis_tracker, a.state().hysteresis_tracker);
  for (bool overflow : {false, true, false, false, false, true, true, true}) {
    EXPECT_EQ(a.update(overflow), b.update(overflow));
    EXPECT_EQ(a.scale(), b.scale());
  }
}

TEST(LossScaler, RestoresTheStateOfAnExistingCheckpoint) {
  // "loss_scaler" as metadata.json holds it (nlohmann's dump of the trainer's hand-built object:
  // keys sorted, the scale a double, the trackers integers).
  const std::string written = R"({"growth_tracker":7,"hysteresis_tracker":1,"scale":131072.0})";
  LossScaleConfig c;
  c.window = 8;
  c.hysteresis = 2;
  LossScaler s(c);
  s.restore_json(nlohmann::json::parse(written));
  EXPECT_EQ(s.scale(), 131072.0);
  EXPECT_EQ(s.state().growth_tracker, 7);
  EXPECT_EQ(s.state().hysteresis_tracker, 1);
  EXPECT_EQ(s.to_json().dump(), written);
  EXPECT_TRUE(s.update(false));  // the 8th clean step of the window doubles
  EXPECT_EQ(s.scale(), 262144.0);
  // An integral scale (a hand-edited file) is accepted too.
  s.restore_json(nlohmann::json::parse(R"({"growth_tracker":0,"hysteresis_tracker":2,"scale":8})"));
  EXPECT_EQ(s.scale(), 8.0);
}

TEST(LossScaler, RestoreJsonNamesTheMissingOrBadField) {
  LossScaler s(LossScaleConfig{});
  const LossScaler::State before = s.state();
  const nlohmann::json good = {{"scale", 2.0}, {"growth_tracker", 1}, {"hysteresis_tracker", 1}};
  for (const char* key : {"scale", "growth_tracker", "hysteresis_tracker"}) {
    nlohmann::json j = good;
    j.erase(key);
    expect_error([&] { s.restore_json(j); }, {"[optim]", "missing", key});
    j = good;
    j[key] = "3";
    expect_error([&] { s.restore_json(j); }, {"[optim]", key});
  }
  auto with = [&](const char* key, nlohmann::json v) {
    nlohmann::json j = good;
    j[key] = std::move(v);
    return j;
  };
  expect_error([&] { s.restore_json(with("scale", 0.0)); }, {"[optim]", "'scale'"});
  expect_error([&] { s.restore_json(with("scale", -4.0)); }, {"[optim]", "'scale'"});
  expect_error([&] { s.restore_json(with("growth_tracker", 1.5)); },
               {"[optim]", "'growth_tracker'"});
  expect_error([&] { s.restore_json(with("growth_tracker", -1)); },
               {"[optim]", "'growth_tracker'"});
  expect_error([&] { s.restore_json(nlohmann::json()); }, {"[optim]", "null"});
  expect_error([&] { s.restore_json(nlohmann::json::array()); }, {"[optim]", "array"});
  // A failed restore leaves the state alone.
  EXPECT_EQ(s.state().scale, before.scale);
  EXPECT_EQ(s.state().growth_tracker, before.growth_tracker);
  EXPECT_EQ(s.state().hysteresis_tracker, before.hysteresis_tracker);
}

}  // namespace
}  // namespace ascent
