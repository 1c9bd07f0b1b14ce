// The `ascent` process under a stop signal, as a batch scheduler's preemption sends it:
// `ascent train` finishes the iteration, saves, exits 0, and the resumed run ends with the same
// metrics and bit-identical weights as an uninterrupted one; `ascent preprocess` exits non-zero
// and leaves no output behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "../train/train_test_util.h"
#include "checkpoint/ascent_checkpoint.h"

extern char** environ;
namespace fs = std::filesystem;

namespace ascent {
namespace {

using Clock = std::chrono::steady_clock;

// `ascent ARGS...` in the background, stdout and stderr into `log`.
pid_t spawn_ascent(std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), std::string(ASCENT_BINARY_DIR) + "/ascent");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// The wait status of `pid`, killing it (and failing) if it runs past `limit`.
int wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto end = Clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "still running after " << limit.count() << " s";
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

// Polls `ready` every 10 ms up to `limit`.
bool wait_until(const std::function<bool()>& ready, std::chrono::seconds limit) {
  const auto end = Clock::now() + limit;
  while (!ready()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::vector<nlohmann::json> metrics(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line.back() == '}') rows.push_back(nlohmann::json::parse(line));
  return rows;
}

std::string text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Master weights and optimizer state of a checkpoint, as bytes.
std::string checkpoint_bytes(const std::string& dir) {
  const CheckpointInfo ckpt = open_checkpoint(dir);
  ModelWeights w(ckpt.config, DType::F32);
  load_checkpoint(ckpt, w, nullptr);
  return std::string(reinterpret_cast<const char*>(w.master()),
                     static_cast<size_t>(w.size()) * sizeof(float));
}

TEST(CleanStopCli, SigtermSavesExitsZeroAndTheResumedRunIsBitIdentical) {
  const std::string dir = testing::scratch_dir("e2e_sigterm");
  const std::string prefix = testing::random_dataset(dir, 200, 512, 11);
  const std::vector<std::string> common = {"train",    "--model",
                                           "tiny-gqa", "--data-path",
                                           prefix,     "--split",
                                           "100,0,0",  "--seq-length",
                                           "32",       "--micro-batch-size",
                                           "2",        "--global-batch-size",
                                           "4",        "--lr",
                                           "2e-3",     "--lr-decay-iters",
                                           "10",       "--log-interval",
                                           "1",        "--hidden-dropout",
                                           "0.1"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = common;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const int N = 10;

  // Interrupted: a long run, SIGTERM once two iterations are logged.
  const std::string m1 = dir + "/first.jsonl", log1 = dir + "/first.log";
  const pid_t pid = spawn_ascent(
      with({"--train-iters", "100000", "--save", dir + "/ckpt", "--metrics-file", m1}), log1);
  ASSERT_GT(pid, 0);
  const bool trained =
      wait_until([&] { return metrics(m1).size() >= 2; }, std::chrono::seconds(120));
  const auto t0 = Clock::now();
  kill(pid, SIGTERM);
  const int status = wait_for(pid, std::chrono::seconds(120));
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_TRUE(trained) << text(log1);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text(log1);
  const int64_t reached = static_cast<int64_t>(metrics(m1).size());
  ASSERT_LT(reached, N) << text(log1);
  const std::string out = text(log1);
  EXPECT_NE(out.find("SIGTERM received: exiting at iteration " + std::to_string(reached) +
                     "; resume with --load " + dir + "/ckpt"),
            std::string::npos)
      << out;
  EXPECT_EQ(open_checkpoint(dir + "/ckpt").state.iteration, reached);
  std::printf("SIGTERM -> exit 0 in %.2f s, checkpoint at iteration %lld\n", took,
              static_cast<long long>(reached));

  // Resumed to N, and uninterrupted to N.
  const std::string m2 = dir + "/resumed.jsonl", m3 = dir + "/full.jsonl";
  const pid_t resumed =
      spawn_ascent(with({"--train-iters", std::to_string(N), "--load", dir + "/ckpt", "--save",
                         dir + "/ckpt", "--metrics-file", m2}),
                   dir + "/resumed.log");
  ASSERT_EQ(wait_for(resumed, std::chrono::seconds(120)), 0) << text(dir + "/resumed.log");
  const pid_t full = spawn_ascent(
      with({"--train-iters", std::to_string(N), "--save", dir + "/full", "--metrics-file", m3}),
      dir + "/full.log");
  ASSERT_EQ(wait_for(full, std::chrono::seconds(120)), 0) << text(dir + "/full.log");

  const std::vector<nlohmann::json> r = metrics(m2), f = metrics(m3);
  ASSERT_EQ(f.size(), static_cast<size_t>(N));
  ASSERT_EQ(r.size(), static_cast<size_t>(N - reached));
  for (size_t i = 0; i < r.size(); ++i) {
    const nlohmann::json& u = f[static_cast<size_t>(reached) + i];
    for (const char* key : {"iteration", "consumed_samples", "loss", "grad_norm", "lr"})
      EXPECT_EQ(r[i][key], u[key]) << key << " at iteration " << u["iteration"];
  }
  EXPECT_TRUE(checkpoint_bytes(dir + "/ckpt") == checkpoint_bytes(dir + "/full"))
      << "the final weights differ";
}

TEST(CleanStopCli, PreprocessStopsOnSigtermAndLeavesNoOutput) {
  const std::string dir = testing::scratch_dir("e2e_preprocess_sigterm");
  const std::string model =
      std::string(ASCENT_SOURCE_DIR) + "/../shared/data/tokenizers/llama2/tokenizer.model";
  ASSERT_TRUE(fs::exists(model)) << model << " (../shared/data) is missing";
  {
    // About 20 MB: far more than the time to the signal takes to tokenize.
    const std::string corpus = text(std::string(ASCENT_SOURCE_DIR) + "/data/tinyshakespeare.txt");
    std::ofstream f(dir + "/big.txt");
    for (int i = 0; i < 20; ++i) f << corpus;
  }
  const pid_t pid = spawn_ascent(
      {"preprocess", "--input", dir + "/big.txt", "--tokenizer-type", "SentencePiece",
       "--tokenizer-name-or-path", model, "--output-prefix", dir + "/out", "--workers", "2"},
      dir + "/log");
  ASSERT_GT(pid, 0);
  // The staging files exist once the pipeline runs.
  auto staged = [&] {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind("out_", 0) == 0) return true;
    return false;
  };
  const bool started = wait_until(staged, std::chrono::seconds(60));
  kill(pid, SIGTERM);
  const int status = wait_for(pid, std::chrono::seconds(60));
  ASSERT_TRUE(started) << text(dir + "/log");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << text(dir + "/log");
  const std::string out = text(dir + "/log");
  EXPECT_NE(out.find("ascent: SIGTERM received; stopping"), std::string::npos) << out;
  EXPECT_NE(out.find("[preprocess] interrupted; no output written"), std::string::npos) << out;
  EXPECT_FALSE(staged()) << "partial output left behind";
}

}  // namespace
}  // namespace ascent
