// Fault injection into the checkpoint save protocol (docs/RELIABILITY.md, "Crash consistency").
// `ascent train` is killed (SIGKILL through ASCENT_FAILPOINT, core/failpoint.h) before each
// file-system step of a save; afterwards --load must open the newest complete checkpoint, whose
// shard is bit-identical to the one that was committed, and a resumed run must clean up and
// finish. Three kinds of save: a new iteration, a re-save of the iteration the marker names (with
// the atomic exchange, and without it, the window of the issue), and one followed by pruning.
// Also: exit and SIGTERM during a save, a full disk, and a rerun of a finished job.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../train/train_test_util.h"
#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/save_dir.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

struct TrainRun {
  int status = 0;  // as from waitpid
  std::string output;
  bool killed_by(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
  bool exited_with(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
};

// A tiny run of `ascent train` on the scratch dataset in `dir`, one OpenMP thread, with
// ASCENT_FAILPOINT set to `failpoint` ("" : unset). The shell execs ascent, so the status is its.
TrainRun ascent_train(const std::string& dir, const std::string& flags,
                      const std::string& failpoint = "") {
  const std::string log = dir + "/run.log";
  const std::string cmd = "cd '" + dir + "' && OMP_NUM_THREADS=1 " +
                          (failpoint.empty() ? "" : "ASCENT_FAILPOINT='" + failpoint + "' ") +
                          "exec " + ASCENT_BINARY_DIR + "/ascent train --model tiny-gqa " +
                          "--vocab-size 512 --data-path random_text_document --split 100,0,0 " +
                          "--seq-length 32 --micro-batch-size 2 --log-interval 1 " + flags + " >'" +
                          log + "' 2>&1";
  TrainRun r;
  r.status = std::system(cmd.c_str());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  return r;
}

// The hash the manifest of `dir` records for the single shard file.
std::string shard_hash(const fs::path& dir) {
  std::ifstream in(dir / "manifest.json");
  return nlohmann::json::parse(in)["files"]["rank_00000.safetensors"]["xxh3_64"];
}

// Entries of the save directory other than complete iter_N, the marker and run_config.json.
std::vector<std::string> litter(const fs::path& save) {
  std::vector<std::string> out;
  for (const SaveDirEntry& e : list_save_dir(save.string()))
    if (e.kind != SaveDirEntry::Kind::kCommitted) out.push_back(e.path.filename().string());
  return out;
}

struct FaultCase {
  const char* scenario;   // new, resave, resave_noexchange, prune
  const char* failpoint;  // where the process is killed
  int64_t loads;          // the iteration --load opens afterwards
};

// Flags of the run that prepares the save directory, and of the run that is killed.
struct Scenario {
  std::string setup, faulty, failpoint_prefix;
};
Scenario scenario(const std::string& name) {
  if (name == "new")
    return {"--train-iters 1 --save ckpt", "--train-iters 2 --load ckpt --save ckpt", ""};
  if (name == "prune")
    return {"--train-iters 1 --save ckpt",
            "--train-iters 2 --load ckpt --save ckpt --keep-last-checkpoints 1", ""};
  // A fresh run to the iteration the marker names: it saves that iteration again.
  const Scenario resave{"--train-iters 2 --save ckpt", "--train-iters 2 --save ckpt", ""};
  if (name == "resave") return resave;
  return {resave.setup, resave.faulty, "checkpoint.exchange:einval,"};
}

void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << c.scenario << " killed at " << c.failpoint << ", loads " << c.loads;
}

class SaveFailpoint : public ::testing::TestWithParam<FaultCase> {};

TEST_P(SaveFailpoint, KilledThereLoadsTheNewestCompleteCheckpoint) {
  const FaultCase& c = GetParam();
  const std::string dir = testing::scratch_dir(std::string("fp_") + c.scenario + "_" + c.failpoint);
  testing::random_dataset(dir, 60, 512, 5);
  const fs::path save = fs::path(dir) / "ckpt";
  const Scenario s = scenario(c.scenario);
  const TrainRun setup = ascent_train(dir, s.setup);
  ASSERT_TRUE(setup.exited_with(0)) << setup.output;
  const fs::path committed = save / checkpoint_dir_name(c.loads);
  const std::string want_hash = fs::exists(committed) ? shard_hash(committed) : "";

  const TrainRun faulty = ascent_train(dir, s.faulty, s.failpoint_prefix + c.failpoint);
  ASSERT_TRUE(faulty.killed_by(SIGKILL)) << faulty.output;
  EXPECT_NE(faulty.output.find(std::string("failpoint ") + c.failpoint + " fired"),
            std::string::npos)
      << faulty.output;

  // --load, before any clean-up: the newest complete checkpoint, bit for bit as committed.
  const CheckpointInfo info = open_checkpoint(save.string());
  EXPECT_EQ(info.state.iteration, c.loads);
  if (!want_hash.empty()) {
    EXPECT_EQ(shard_hash(info.dir), want_hash);
  }
  ModelWeights w(info.config, DType::F32);
  load_checkpoint(info, w, nullptr);
  if (std::string(c.failpoint) == "checkpoint.rename_tmp_after_old") {
    // The window: iteration 2 exists only as iter_0000002.old.PID.
    EXPECT_EQ(info.fallback_reason,
              std::string(kLatestMarker) + " names iter_0000002 which does not exist");
    const TrainRun load_only = ascent_train(dir, "--train-iters 3 --load ckpt");
    EXPECT_TRUE(load_only.exited_with(0)) << load_only.output;
    EXPECT_NE(load_only.output.find("names iter_0000002 which does not exist; loading "
                                    "iter_0000002.old."),
              std::string::npos)
        << load_only.output;
  }

  // A resumed run removes (or restores) what the killed one left, and finishes.
  const TrainRun resumed = ascent_train(dir, "--train-iters 3 --load ckpt --save ckpt");
  ASSERT_TRUE(resumed.exited_with(0)) << resumed.output;
  EXPECT_NE(resumed.output.find("(iteration " + std::to_string(c.loads) + ","), std::string::npos)
      << resumed.output;
  EXPECT_EQ(litter(save), std::vector<std::string>{});
  EXPECT_EQ(read_marker(save.string()), 3);
}

const FaultCase kCases[] = {
    // A new iteration: the previous checkpoint (1) until the marker names the new one.
    {"new", "checkpoint.begin", 1},
    {"new", "checkpoint.write_shard", 1},
    {"new", "checkpoint.write_metadata", 1},
    {"new", "checkpoint.write_manifest", 1},
    {"new", "checkpoint.fsync_tmp", 1},
    {"new", "checkpoint.rename_tmp", 1},
    {"new", "checkpoint.fsync_root", 1},
    {"new", "checkpoint.write_marker", 1},
    // Pruning after the marker names 2.
    {"prune", "checkpoint.prune", 2},
    // A re-save of the marker's iteration 2: some complete copy of it at every point.
    {"resave", "checkpoint.write_shard", 2},
    {"resave", "checkpoint.exchange", 2},
    {"resave", "checkpoint.fsync_root", 2},
    {"resave", "checkpoint.write_marker", 2},
    {"resave", "checkpoint.remove_replaced", 2},
    // The same where directories cannot be exchanged (the old copy goes aside as .old.PID).
    {"resave_noexchange", "checkpoint.rename_old", 2},
    {"resave_noexchange", "checkpoint.rename_tmp_after_old", 2},
    {"resave_noexchange", "checkpoint.write_marker", 2},
    {"resave_noexchange", "checkpoint.remove_replaced", 2},
};

std::string case_name(const ::testing::TestParamInfo<FaultCase>& info) {
  std::string n = std::string(info.param.scenario) + "_" + info.param.failpoint;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(EveryStep, SaveFailpoint, ::testing::ValuesIn(kCases), case_name);

// exit() or SIGTERM in the middle of a save: the same guarantee. (With a SIGTERM handler that
// finishes the save, iteration 2 is complete; without, the process dies and 1 is.)
TEST(SaveFault, ExitOrTermDuringSaveLeavesALoadableCheckpoint) {
  const std::string dir = testing::scratch_dir("fp_exit_term");
  testing::random_dataset(dir, 60, 512, 5);
  const fs::path save = fs::path(dir) / "ckpt";
  ASSERT_TRUE(ascent_train(dir, "--train-iters 1 --save ckpt").exited_with(0));
  const TrainRun exited = ascent_train(dir, "--train-iters 2 --load ckpt --save ckpt",
                                       "checkpoint.write_manifest:exit");
  EXPECT_TRUE(exited.exited_with(86)) << exited.output;
  EXPECT_EQ(open_checkpoint(save.string()).state.iteration, 1);
  const TrainRun termed = ascent_train(dir, "--train-iters 2 --load ckpt --save ckpt",
                                       "checkpoint.write_metadata:term");
  EXPECT_NE(termed.output.find("failpoint checkpoint.write_metadata fired"), std::string::npos);
  const int64_t it = open_checkpoint(save.string()).state.iteration;
  EXPECT_TRUE(it == 1 || it == 2) << it;
  EXPECT_TRUE(ascent_train(dir, "--train-iters 3 --load ckpt --save ckpt").exited_with(0));
  EXPECT_EQ(litter(save), std::vector<std::string>{});
}

// A full disk while writing a shard: a clear error, the previous checkpoint, nothing left over.
TEST(SaveFault, FullDiskIsAClearErrorAndKeepsThePreviousCheckpoint) {
  const std::string dir = testing::scratch_dir("fp_enospc");
  testing::random_dataset(dir, 60, 512, 5);
  const fs::path save = fs::path(dir) / "ckpt";
  ASSERT_TRUE(ascent_train(dir, "--train-iters 1 --save ckpt").exited_with(0));
  const TrainRun full =
      ascent_train(dir, "--train-iters 2 --load ckpt --save ckpt", "checkpoint.write_shard:enospc");
  EXPECT_FALSE(full.exited_with(0)) << full.output;
  EXPECT_NE(full.output.find("iter_0000002.tmp."), std::string::npos) << full.output;
  EXPECT_NE(full.output.find("No space left on device"), std::string::npos) << full.output;
  EXPECT_EQ(litter(save), std::vector<std::string>{});
  EXPECT_EQ(open_checkpoint(save.string()).state.iteration, 1);
}

// Rerunning a finished job (--load D --save D, same --train-iters) writes nothing: with a
// failpoint armed at the first step of a save, it still succeeds, and the checkpoint is untouched.
TEST(SaveFault, RerunOfAFinishedJobDoesNotSaveAgain) {
  const std::string dir = testing::scratch_dir("fp_rerun");
  testing::random_dataset(dir, 60, 512, 5);
  const fs::path shard = fs::path(dir) / "ckpt" / "iter_0000002" / "rank_00000.safetensors";
  ASSERT_TRUE(ascent_train(dir, "--train-iters 2 --save ckpt").exited_with(0));
  const auto before = fs::last_write_time(shard);
  const TrainRun rerun =
      ascent_train(dir, "--train-iters 2 --load ckpt --save ckpt", "checkpoint.begin");
  EXPECT_TRUE(rerun.exited_with(0)) << rerun.output;
  EXPECT_NE(rerun.output.find("iteration 2 is already saved in ckpt"), std::string::npos)
      << rerun.output;
  EXPECT_EQ(fs::last_write_time(shard), before);
}

}  // namespace
}  // namespace ascent
