// `ascent train` says what it does with --load and with flags that change nothing: a first run of
// a launch script with --save X --load X starts from scratch with a warning (as Megatron does);
// architecture flags that disagree with the checkpoint end the run listing each difference; each
// ineffective flag gets one warning; an explicit invalid value or a malformed config file exits
// with status 1 before anything is allocated.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../train/train_test_util.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

struct TrainCall {
  int status = -1;  // the exit status
  std::string out;  // stdout and stderr
  // How often `text` occurs in the output.
  int count(const std::string& text) const {
    int n = 0;
    for (size_t at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) ++n;
    return n;
  }
};

TrainCall ascent_train(const std::string& args) {
  const std::string cmd = std::string(ASCENT_BINARY_DIR) + "/ascent train " + args + " 2>&1";
  TrainCall r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int w = pclose(p);
  r.status = WIFEXITED(w) ? WEXITSTATUS(w) : -1;
  return r;
}

// A tiny 2-layer model on random tokens: a few iterations take well under a second.
std::string tiny_run(const std::string& dir) {
  return "--model tiny-gqa --num-layers 2 --data-path " + testing::random_dataset(dir, 80, 512, 8) +
         " --split 90,10,0 --seq-length 32 --micro-batch-size 2 --log-interval 1 --eval-iters 1";
}

TEST(LoadCli, SaveAndLoadSameDirectoryFromTheFirstRun) {
  const std::string dir = testing::scratch_dir("e2e_load_first");
  const std::string ckpt = dir + "/ckpt",
                    run = tiny_run(dir) + " --save " + ckpt + " --load " + ckpt;
  TrainCall first = ascent_train(run + " --train-iters 2");
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_EQ(first.count("warning: [train] --load " + ckpt +
                        ": no checkpoint there yet (no such directory); starting from scratch"),
            1)
      << first.out;
  EXPECT_NE(first.out.find("iteration      2/2"), std::string::npos) << first.out;
  TrainCall second = ascent_train(run + " --train-iters 3");
  ASSERT_EQ(second.status, 0) << second.out;
  EXPECT_EQ(second.count("starting from scratch"), 0) << second.out;
  EXPECT_NE(second.out.find("(iteration 2, written by"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("iteration      3/3"), std::string::npos) << second.out;
  // Already at --train-iters: said once, and the run still ends well.
  TrainCall done = ascent_train(run + " --train-iters 3");
  ASSERT_EQ(done.status, 0) << done.out;
  EXPECT_EQ(done.count("--train-iters 3: the checkpoint loaded from " + ckpt +
                       " is at iteration 3 already, so there is nothing to train"),
            1)
      << done.out;

  // A directory with only what a run writes before its first checkpoint: from scratch too.
  const std::string fresh = dir + "/fresh";
  fs::create_directories(fresh);
  std::ofstream(fresh + "/run_config.json") << "{}\n";
  TrainCall empty = ascent_train(tiny_run(dir) + " --train-iters 1 --load " + fresh);
  ASSERT_EQ(empty.status, 0) << empty.out;
  EXPECT_EQ(empty.count("--load " + fresh +
                        ": no checkpoint there yet (no checkpoint files in the directory)"),
            1)
      << empty.out;
  // Something else that is no checkpoint stays an error; so does --finetune from nothing.
  std::ofstream(fresh + "/notes.txt") << "x\n";
  TrainCall other = ascent_train(tiny_run(dir) + " --train-iters 1 --load " + fresh);
  EXPECT_EQ(other.status, 1) << other.out;
  EXPECT_NE(other.out.find("neither an ascent checkpoint nor an HF model directory"),
            std::string::npos)
      << other.out;
  TrainCall finetune =
      ascent_train(tiny_run(dir) + " --train-iters 1 --finetune --load " + dir + "/missing");
  EXPECT_EQ(finetune.status, 1) << finetune.out;
  EXPECT_NE(finetune.out.find("no checkpoint there to fine-tune from"), std::string::npos)
      << finetune.out;

  // Architecture flags given must agree with the checkpoint; left out, they come from it.
  TrainCall shape = ascent_train(tiny_run(dir) + " --train-iters 4 --load " + ckpt +
                                 " --num-layers 3 --hidden-size 128");
  EXPECT_EQ(shape.status, 1) << shape.out;
  EXPECT_NE(shape.out.find("the model flags given disagree with the checkpoint there:\n"
                           "  --num-layers 3 vs checkpoint 2\n"
                           "  --hidden-size 128 vs checkpoint 64\n"),
            std::string::npos)
      << shape.out;
  TrainCall preset = ascent_train("--model tiny-llama --data-path x --load " + ckpt);
  EXPECT_EQ(preset.status, 1) << preset.out;
  EXPECT_NE(preset.out.find("--num-layers 6 (--model tiny-llama) vs checkpoint 2"),
            std::string::npos)
      << preset.out;
}

TEST(LoadCli, IneffectiveFlagsWarnOnceEach) {
  const std::string dir = testing::scratch_dir("e2e_load_warnings");
  TrainCall r =
      ascent_train(tiny_run(dir) +
                   " --train-iters 1 --seq-length 300 --loss-scale 8 --variable-seq-lengths "
                   "--save-interval 5 --optimizer sgd --adam-beta1 0.8");
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* w :
       {"warning: [train] --max-position-embeddings raised from 256 (--model tiny-gqa) to "
        "--seq-length 300",
        "warning: [train] --loss-scale has no effect without --fp16",
        "warning: [train] --variable-seq-lengths has no effect without --is-instruction-dataset",
        "warning: [train] --save-interval has no effect without --save",
        "warning: [train] --adam-beta1 has no effect with --optimizer sgd"})
    EXPECT_EQ(r.count(w), 1) << w << " in:\n" << r.out;
  EXPECT_EQ(r.count("warning"), 5) << r.out;
}

TEST(LoadCli, InvalidValuesExitBeforeAllocating) {
  const std::string dir = testing::scratch_dir("e2e_load_invalid");
  TrainCall zero = ascent_train("--model tiny-gqa --num-layers 0 --data-path x");
  EXPECT_EQ(zero.status, 1) << zero.out;
  EXPECT_NE(zero.out.find("error: [train] --num-layers 0 must be positive"), std::string::npos)
      << zero.out;
  TrainCall positions =
      ascent_train("--seq-length 512 --max-position-embeddings 300 --data-path x");
  EXPECT_EQ(positions.status, 1) << positions.out;
  EXPECT_NE(positions.out.find("--max-position-embeddings 300 is below --seq-length 512"),
            std::string::npos)
      << positions.out;
  std::ofstream(dir + "/sections.toml") << "seq-length = 32\n[model]\nnum-layers = 2\n";
  TrainCall sections = ascent_train("--config " + dir + "/sections.toml --data-path x");
  EXPECT_EQ(sections.status, 1) << sections.out;
  EXPECT_NE(sections.out.find("error: [config] " + dir + "/sections.toml:2: '[...]' section"),
            std::string::npos)
      << sections.out;
  std::ofstream(dir + "/huge.toml")
      << "num-layers = 99999999\nhidden-size = 4096\nnum-attention-heads = 32\n";
  const auto start = std::chrono::steady_clock::now();
  TrainCall huge = ascent_train("--config " + dir + "/huge.toml --data-path x");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(huge.status, 1) << huge.out;
  EXPECT_NE(huge.out.find("--num-layers 99999999 is beyond what ascent supports"),
            std::string::npos)
      << huge.out;
}

}  // namespace
}  // namespace ascent
