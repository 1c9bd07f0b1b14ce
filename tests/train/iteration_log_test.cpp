// train/iteration_log: the console line (interval means as Megatron prints them, elapsed time and
// ETA, an MFU that never exceeds 100%, "step skipped" on an fp16 overflow), the evaluation lines
// and the metrics file's evaluation fields, and the end-of-run summary.
#include "train/iteration_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/captured_log.h"
#include "train_test_util.h"

namespace ascent {
namespace {

IterationStats step(int64_t it, double loss, double seconds = 0.5) {
  IterationStats s;
  s.iteration = it;
  s.loss = loss;
  s.lr = 1e-3f;
  s.grad_norm = 0.5;
  s.seconds = seconds;
  s.tokens = s.real_tokens = s.loss_tokens = 1000;
  s.flops = 1e9;  // 2 GFLOP/s at 0.5 s
  s.tokens_per_s = 1000 / seconds;
  return s;
}

IterationLogConfig config(int64_t train_iters, int64_t log_interval) {
  IterationLogConfig c;
  c.train_iters = train_iters;
  c.log_interval = log_interval;
  c.peak_gflops = 100;
  return c;
}

TEST(IterationLog, ConsoleLossIsTheIntervalMean) {
  testing::CapturedLog out;
  IterationLog log(config(8, 4));
  for (int i = 1; i <= 4; ++i) log.write(step(i, i), 8 * i);  // mean 2.5, last 4
  EXPECT_NE(out.text().find("| loss 2.5000 |"), std::string::npos) << out.text();
  EXPECT_EQ(out.text().find("iteration      3/"), std::string::npos) << "one line per interval";
  // The time and throughput are interval means too: 4 x 0.5 s -> 500 ms/iter, 2000 tokens/s.
  EXPECT_NE(out.text().find("500.0 ms/iter"), std::string::npos) << out.text();
  EXPECT_NE(out.text().find("2000 tokens/s"), std::string::npos) << out.text();
}

TEST(IterationLog, SkippedStepsLeaveTheMeanAndSaySo) {
  testing::CapturedLog out;
  IterationLogConfig c = config(4, 2);
  c.show_loss_scale = true;
  IterationLog log(c);
  IterationStats a = step(1, 3.0), b = step(2, 9.0);
  b.skipped = true;
  b.grad_norm = std::nan("");
  b.loss_scale = 65536;
  log.write(a, 8);
  log.write(b, 16);
  const std::string t = out.text();
  EXPECT_NE(t.find("| loss 3.0000 |"), std::string::npos) << t;  // Megatron: advanced steps only
  EXPECT_NE(t.find("step skipped: gradients overflowed"), std::string::npos) << t;
  EXPECT_EQ(t.find("nan"), std::string::npos) << t;
  EXPECT_NE(t.find("| skipped 1"), std::string::npos) << t;
}

TEST(IterationLog, MfuNeverExceedsTheMachine) {
  testing::CapturedLog out;
  IterationLogConfig c = config(2, 1);
  c.peak_gflops = 1;  // measured while the machine was busy: below what a step then reaches
  IterationLog log(c);
  log.write(step(1, 1.0), 8);  // 2 GFLOP/s
  EXPECT_NE(out.text().find("MFU 100%"), std::string::npos) << out.text();
  EXPECT_EQ(log.peak_gflops(), 2.0);
  log.write(step(2, 1.0, 1.0), 16);  // 1 GFLOP/s: half the best rate seen
  EXPECT_NE(out.text().find("MFU 50%"), std::string::npos) << out.text();
}

TEST(IterationLog, LinesShowElapsedTimeAndEta) {
  testing::CapturedLog out;
  IterationLog log(config(5, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  log.write(step(1, 1.0), 8);
  // 1.1 s for 1 of 5 iterations: elapsed 0:01, about 4 s to go.
  std::smatch m;
  const std::string t = out.text();
  ASSERT_TRUE(std::regex_search(t, m, std::regex("elapsed 0:0(\\d) \\| ETA 0:0(\\d)"))) << t;
  EXPECT_EQ(m[1], "1");
  EXPECT_GE(std::stoi(m[2]), 4);
  EXPECT_LE(std::stoi(m[2]), 6);
}

TEST(IterationLog, EvaluationsReachTheConsoleTheMetricsAndTheSummary) {
  const std::string dir = testing::scratch_dir("iteration_log_eval");
  testing::CapturedLog out;
  IterationLogConfig c = config(3, 10);
  c.metrics_file = dir + "/m.jsonl";
  {
    IterationLog log(c);
    EvalLosses e1, e3;
    e1.validation = 4.0;
    e3.validation = 4.5;  // worse than at 1: the best stays 4.0
    e3.test = 4.25;
    log.write(step(1, 5.0), 8, e1);
    log.write(step(2, 4.0), 16);
    log.write(step(3, 3.0), 24, e3);
    log.summary();
  }
  const std::string t = out.text();
  EXPECT_NE(t.find(" validation loss at iteration 1: 4.0000 (ppl 54.60)"), std::string::npos) << t;
  EXPECT_NE(t.find(" test loss at iteration 3: 4.2500 (ppl 70.11)"), std::string::npos) << t;
  EXPECT_NE(t.find(" training finished: iterations 1-3 in 0:0"), std::string::npos) << t;
  EXPECT_NE(t.find("3000 tokens at "), std::string::npos) << t;
  EXPECT_NE(t.find("best validation loss 4.0000 (ppl 54.60) at iteration 1 | test loss 4.2500"),
            std::string::npos)
      << t;
  std::ifstream in(c.metrics_file);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["validation_loss"], 4.0);
  EXPECT_FALSE(lines[1].contains("validation_loss"));
  EXPECT_EQ(lines[2]["test_loss"], 4.25);
}

TEST(IterationLog, TrainerEvaluatesTheTestSplitAtTheEnd) {
  const std::string dir = testing::scratch_dir("iteration_log_test_split");
  TrainArgs a = testing::tiny_args(testing::random_dataset(dir, 200, 512, 5));
  a.data.split = "80,10,10";
  a.run.train_iters = 2;
  a.finalize();
  testing::CapturedLog out;
  Trainer t(a, model_config_from_args(a, 0));
  t.run();
  const std::string text = out.text();
  char want[64];
  std::snprintf(want, sizeof want, " test loss at iteration 2: %.4f", t.evaluate_test());
  EXPECT_NE(text.find(want), std::string::npos) << text;
  EXPECT_NE(text.find(" best validation loss "), std::string::npos) << text;
}

// The default --split 969,30,1 leaves a small corpus a test split too short for one sequence: it
// is left out with a warning instead of stopping the run.
TEST(IterationLog, TooSmallTestSplitIsLeftOutWithAWarning) {
  const std::string dir = testing::scratch_dir("iteration_log_small_test_split");
  TrainArgs a = testing::tiny_args(testing::random_dataset(dir, 200, 512, 5));
  a.data.split = "96,3.5,0.5";  // one test document of <= 150 tokens
  a.data.seq_length = 160;
  a.data.micro_batch_size = 1;
  a.data.global_batch_size = 1;
  a.run.train_iters = 1;
  a.finalize();
  testing::CapturedLog out;
  Trainer t(a, model_config_from_args(a, 0));
  t.run();
  EXPECT_NE(out.text().find("warning: [train] --split 96,3.5,0.5: no test loss at the end:"),
            std::string::npos)
      << out.text();
  EXPECT_TRUE(std::isnan(t.evaluate_test()));
  EXPECT_FALSE(std::isnan(t.evaluate()));
}

}  // namespace
}  // namespace ascent
