// A run that diverges (f32 at a huge learning rate) stops at the first non-finite loss or
// gradient norm with an error naming the iteration, before the optimizer step: the latest
// checkpoint keeps finite weights and every metrics line is valid JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "train_test_util.h"

namespace ascent {
namespace {

TEST(NonFinite, DivergingRunStopsBeforeTheStepAndKeepsAFiniteCheckpoint) {
  const std::string dir = testing::scratch_dir("nonfinite_stop");
  TrainArgs a = testing::tiny_args(testing::random_dataset(dir, 200, 512, 5));
  a.lr.lr = 1e4f;
  a.lr.min_lr = 1e4f;
  a.lr.warmup_iters = 0;
  a.lr.decay_style = "constant";
  a.optim.clip_grad = 0.f;
  a.run.train_iters = 50;
  a.run.save = dir + "/ckpt";
  a.run.save_interval = 1;
  a.run.metrics_file = dir + "/metrics.jsonl";
  a.finalize();
  std::string message;
  {
    Trainer t(a, model_config_from_args(a, 0));
    try {
      t.run();
    } catch (const Error& e) {
      message = e.what();
    }
  }
  ASSERT_NE(message.find("not finite"), std::string::npos) << "the run did not stop: " << message;
  ASSERT_NE(message.find("iteration "), std::string::npos) << message;

  // Every metrics line parses, and the last one is the last finite step.
  std::ifstream in(a.run.metrics_file);
  std::string line;
  int64_t last = 0;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_TRUE(j["loss"].is_number()) << line;
    last = j["iteration"].get<int64_t>();
  }
  ASSERT_GT(last, 0);
  EXPECT_NE(message.find("iteration " + std::to_string(last + 1)), std::string::npos) << message;

  // The latest checkpoint is that step's, with finite weights.
  const CheckpointInfo ckpt = open_checkpoint(a.run.save);
  EXPECT_EQ(ckpt.state.iteration, last);
  ModelWeights w(ckpt.config, DType::F32);
  load_checkpoint(ckpt, w, nullptr);
  int64_t bad = 0;
  for (int64_t i = 0; i < w.size(); ++i) bad += !std::isfinite(w.master()[i]);
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace ascent
