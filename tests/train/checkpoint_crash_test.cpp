// Crash safety of checkpoints: `ascent train` killed (SIGKILL) while it writes a checkpoint leaves
// the previous one loadable and the broken one refused; a corrupted or truncated file, or a
// missing commit marker, is refused with a clear error.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "checkpoint/ascent_checkpoint.h"
#include "train_test_util.h"

extern char** environ;
namespace fs = std::filesystem;

namespace ascent {
namespace {

// The directory of an in-progress save of `iteration`, if any.
fs::path tmp_save_dir(const fs::path& save, int iteration) {
  char name[32];
  std::snprintf(name, sizeof name, "iter_%07d.tmp.", iteration);
  if (!fs::exists(save)) return {};
  for (const auto& e : fs::directory_iterator(save))
    if (e.path().filename().string().rfind(name, 0) == 0) return e.path();
  return {};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CheckpointCrash, KilledMidSaveLeavesPreviousCheckpointLoadable) {
  const std::string dir = testing::scratch_dir("crash");
  const std::string prefix = testing::random_dataset(dir, 100, 512, 3);
  const fs::path save = fs::path(dir) / "ckpt";
  // A model with a large (unused) vocabulary, so a save takes long enough to be interrupted.
  std::vector<std::string> argv_s = {std::string(ASCENT_BINARY_DIR) + "/ascent",
                                     "train",
                                     "--model",
                                     "tiny-gqa",
                                     "--vocab-size",
                                     "60000",
                                     "--hidden-size",
                                     "256",
                                     "--num-attention-heads",
                                     "4",
                                     "--group-query-attention",
                                     "--num-query-groups",
                                     "2",
                                     "--data-path",
                                     prefix,
                                     "--split",
                                     "100,0,0",
                                     "--seq-length",
                                     "32",
                                     "--micro-batch-size",
                                     "2",
                                     "--train-iters",
                                     "3",
                                     "--save",
                                     save.string(),
                                     "--save-interval",
                                     "1",
                                     "--log-interval",
                                     "1"};
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);

  // Wait until the second checkpoint is being written, then kill the process.
  bool killed = false;
  for (int i = 0; i < 120000 && !killed; ++i) {
    const fs::path tmp = tmp_save_dir(save, 2);
    // Any file inside the temporary directory: the write has begun.
    if (!tmp.empty() && fs::directory_iterator(tmp) != fs::directory_iterator()) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) FAIL() << "training finished before the kill";
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "never saw the second save start";
  ASSERT_TRUE(WIFSIGNALED(status));

  // The committed checkpoint is still iteration 1 and loads.
  const CheckpointInfo ok = open_checkpoint(save.string());
  EXPECT_EQ(ok.state.iteration, 1);
  ModelWeights w(ok.config, DType::F32);
  load_checkpoint(ok, w, nullptr);
  // The half-written one is refused.
  const fs::path broken = tmp_save_dir(save, 2);
  ASSERT_FALSE(broken.empty());
  const std::string msg = error_of([&] { open_checkpoint(broken.string()); });
  EXPECT_NE(msg.find("[checkpoint]"), std::string::npos) << msg;
}

TEST(CheckpointCrash, CorruptTruncatedAndUncommittedAreRefused) {
  const std::string dir = testing::scratch_dir("corrupt");
  const std::string prefix = testing::random_dataset(dir, 60, 512, 4);
  TrainArgs a = testing::tiny_args(prefix);
  a.run.train_iters = 2;
  a.run.save = dir + "/ckpt";
  a.finalize();
  {
    Trainer t(a, model_config_from_args(a, 0));
    t.run();
  }
  const fs::path iter = fs::path(a.run.save) / "iter_0000002";
  const fs::path file = iter / "rank_00000.safetensors";
  ASSERT_NO_THROW(open_checkpoint(a.run.save));

  // One flipped byte in the middle of the tensors.
  const fs::path copy = fs::path(dir) / "copy";
  fs::copy(a.run.save, copy, fs::copy_options::recursive);
  {
    std::fstream f(copy / "iter_0000002" / "rank_00000.safetensors",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    char c = 0x5a;
    f.write(&c, 1);
  }
  std::string msg = error_of([&] { open_checkpoint(copy.string()); });
  EXPECT_NE(msg.find("hash"), std::string::npos) << msg;

  // Truncated.
  fs::resize_file(copy / "iter_0000002" / "rank_00000.safetensors", fs::file_size(file) - 100);
  msg = error_of([&] { open_checkpoint(copy.string()); });
  EXPECT_NE(msg.find("size"), std::string::npos) << msg;

  // No commit marker: nothing committed.
  fs::remove(copy / "latest_checkpointed_iteration.txt");
  fs::remove_all(copy / "iter_0000002");
  fs::remove_all(copy / "iter_0000001");
  msg = error_of([&] { open_checkpoint(copy.string()); });
  EXPECT_NE(msg.find("no committed checkpoint"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ascent
