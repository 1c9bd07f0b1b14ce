// --tensorboard-dir: event files round-trip through a reader written from the TFRecord, CRC-32C
// and protobuf specifications (tfevents_reader.h), with Megatron's tags and the run's values.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>

#include "support/captured_log.h"
#include "tfevents_reader.h"
#include "train/tensorboard/event_file.h"
#include "train_test_util.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

// tag -> (step, value) in file order.
using Curves = std::map<std::string, std::vector<std::pair<int64_t, float>>>;

std::string only_event_file(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
  EXPECT_EQ(files.size(), 1u);
  EXPECT_NE(fs::path(files.at(0)).filename().string().rfind("events.out.tfevents.", 0),
            std::string::npos);
  return files.at(0);
}

Curves read_curves(const std::string& dir) {
  const std::vector<testing::SpecEvent> events = testing::read_event_file(only_event_file(dir));
  EXPECT_FALSE(events.empty());
  EXPECT_EQ(events.at(0).file_version, "brain.Event:2");
  Curves c;
  for (size_t i = 1; i < events.size(); ++i)
    for (const testing::SpecScalar& s : events[i].scalars)
      c[s.tag].push_back({events[i].step, s.value});
  return c;
}

TEST(TensorBoard, Crc32cKnownAnswer) {
  const std::string check = "123456789";  // the CRC catalogue's check value for CRC-32C
  EXPECT_EQ(tensorboard::crc32c(check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(testing::spec_crc32c(reinterpret_cast<const unsigned char*>(check.data()), 9),
            0xE3069283u);
}

TEST(TensorBoard, EventFileRoundTripsThroughTheSpecReader) {
  const std::string dir = testing::scratch_dir("tensorboard_file");
  std::string path;
  {
    tensorboard::EventFile f(dir + "/tb");
    f.scalar("lm loss", 2.5, 7);
    f.scalar("learning-rate", 3e-4, 7);
    f.scalar("grad-norm", 1.25, 300000000000LL);  // a step beyond 32 bits
    path = f.path();
  }
  const std::vector<testing::SpecEvent> events = testing::read_event_file(path);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_TRUE(events[0].scalars.empty());
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const testing::SpecEvent& e : events) EXPECT_NEAR(e.wall_time, now, 60.0);
  ASSERT_EQ(events[1].scalars.size(), 1u);
  EXPECT_EQ(events[1].step, 7);
  EXPECT_EQ(events[1].scalars[0].tag, "lm loss");
  EXPECT_EQ(events[1].scalars[0].value, 2.5f);
  EXPECT_EQ(events[2].scalars[0].tag, "learning-rate");
  EXPECT_EQ(events[2].scalars[0].value, 3e-4f);
  EXPECT_EQ(events[3].step, 300000000000LL);

  // The reader checks what it reads: a flipped byte is a CRC mismatch.
  std::string bytes = testing::read_file_bytes(path);
  bytes[bytes.size() - 6] ^= 0x20;
  EXPECT_THROW(testing::read_tfrecords(bytes), std::runtime_error);
}

TEST(TensorBoard, UnwritableDirectoryNamesTheFlag) {
  const std::string dir = testing::scratch_dir("tensorboard_bad");
  std::ofstream(dir + "/file") << "x";
  try {
    tensorboard::EventFile f(dir + "/file/tb");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[train] --tensorboard-dir"), std::string::npos)
        << e.what();
  }
}

TEST(TensorBoard, TrainingWritesMegatronsTagsWithTheRunsValues) {
  const std::string dir = testing::scratch_dir("tensorboard_train");
  TrainArgs a = testing::tiny_args(testing::random_dataset(dir, 200, 512, 5));
  a.data.split = "80,10,10";
  a.run.train_iters = 6;
  a.run.eval_interval = 3;
  a.run.log_interval = 3;
  a.run.tensorboard_dir = dir + "/tb";
  a.run.log_timers_to_tensorboard = true;
  a.run.log_memory_to_tensorboard = true;
  a.run.log_validation_ppl_to_tensorboard = true;
  a.finalize();
  Trainer t(a, model_config_from_args(a, 0));
  const std::vector<IterationStats> h = t.run();
  const Curves c = read_curves(a.run.tensorboard_dir);

  for (const char* tag : {"lm loss", "learning-rate", "grad-norm", "lm loss vs samples"}) {
    SCOPED_TRACE(tag);
    ASSERT_EQ(c.count(tag), 1u);
    ASSERT_EQ(c.at(tag).size(), 6u);
  }
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(c.at("lm loss")[i], std::make_pair(int64_t(i + 1), static_cast<float>(h[i].loss)));
    EXPECT_EQ(c.at("learning-rate")[i].second, h[i].lr);
    EXPECT_EQ(c.at("grad-norm")[i].second, static_cast<float>(h[i].grad_norm));
    EXPECT_EQ(c.at("lm loss vs samples")[i].first, 4 * int64_t(i + 1));  // global batch 4
  }
  // Evaluations at 3 and 6; the test split at the end.
  ASSERT_EQ(c.at("lm loss validation").size(), 2u);
  EXPECT_EQ(c.at("lm loss validation")[1],
            std::make_pair(int64_t(6), static_cast<float>(t.evaluate())));
  EXPECT_EQ(c.at("lm loss validation ppl").size(), 2u);
  ASSERT_EQ(c.at("lm loss test").size(), 1u);
  EXPECT_EQ(c.at("lm loss test")[0],
            std::make_pair(int64_t(6), static_cast<float>(t.evaluate_test())));
  for (const char* tag : {"iteration-time", "throughput", "tokens-per-sec"}) {
    SCOPED_TRACE(tag);
    ASSERT_EQ(c.at(tag).size(), 2u);
    EXPECT_EQ(c.at(tag)[1].first, 6);
    EXPECT_GT(c.at(tag)[1].second, 0);
  }
  EXPECT_EQ(c.at("mem-activation-max-bytes").back().second,
            static_cast<float>(h.back().activation_mib * 1048576.0));
  EXPECT_GT(c.at("mem-max-resident-bytes").back().second, 1e6);
  EXPECT_EQ(c.count("loss-scale"), 0u);  // only with --fp16
}

TEST(TensorBoard, Fp16SkippedStepsHaveALossScaleButNoGradNorm) {
  const std::string dir = testing::scratch_dir("tensorboard_fp16");
  TrainArgs a = testing::tiny_args(testing::random_dataset(dir, 200, 512, 5));
  a.run.train_iters = 8;
  a.precision.fp16 = true;  // the first steps overflow from 2^23; each halves the scale
  a.loss_scale.initial_scale = 8388608;
  a.loss_scale.hysteresis = 1;
  a.run.tensorboard_dir = dir + "/tb";
  a.finalize();
  std::vector<IterationStats> h;
  {
    Trainer t(a, model_config_from_args(a, 0));
    h = t.run();
  }
  const Curves c = read_curves(a.run.tensorboard_dir);
  ASSERT_TRUE(h[0].skipped);
  std::vector<int64_t> taken;
  for (const IterationStats& s : h)
    if (!s.skipped) taken.push_back(s.iteration);
  std::vector<int64_t> norm_steps;
  for (const auto& [step, v] : c.at("grad-norm")) norm_steps.push_back(step);
  ASSERT_FALSE(taken.empty()) << "every step overflowed";
  EXPECT_EQ(norm_steps, taken);
  ASSERT_EQ(c.at("loss-scale").size(), 8u);
  EXPECT_EQ(c.at("loss-scale")[0].second, 8388608.0f);
  EXPECT_EQ(c.at("loss-scale")[1].second, 4194304.0f);
}

}  // namespace
}  // namespace ascent
