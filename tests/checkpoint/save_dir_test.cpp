// The save directory (checkpoint/save_dir.h): a re-save of an iteration replaces it without a
// moment where it is missing, with or without an atomic exchange; a failed step (a full disk,
// injected through core/failpoint.h) keeps the previous checkpoint and leaves no temporary
// directory; loading falls back to the newest complete checkpoint and says why; start-up recovery
// removes what dead writers left and restores an interrupted re-save; --keep-last-checkpoints.
#include "checkpoint/save_dir.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/test_dir.h"
#include "checkpoint/tiny_families.h"
#include "core/failpoint.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TestDir;

struct ClearFailpoints {
  ~ClearFailpoints() { failpoint::configure(""); }
};

// Saves a tiny model as `iteration` into save_dir; the weights depend on `seed`.
void save_tiny(const std::string& save_dir, int64_t iteration, uint64_t seed = 1) {
  ModelWeights w(testing::family("llama"), DType::F32);
  w.init_random(seed);
  TrainState st;
  st.iteration = iteration;
  st.seed = seed;
  save_checkpoint(save_dir, w, nullptr, st);
}

// The names in dir, sorted.
std::vector<std::string> names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A pid that no process has (a child that has been reaped).
std::string dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return std::to_string(child);
}

TEST(SaveDir, OwnsOnlyItsNames) {
  TestDir dir;
  for (const char* d :
       {"iter_0000001", "iter_0000002.tmp.12", "iter_0000003.old.45", "iter_0000004.del.9",
        "iter_12345678", "iter_x", "iter_0000005.bak.1", "iter_0000006.tmp.", "other"})
    fs::create_directories(dir / d);
  std::vector<std::string> got;
  for (const SaveDirEntry& e : list_save_dir(dir.str()))
    got.push_back(std::to_string(e.iteration) + ":" + std::to_string(static_cast<int>(e.kind)) +
                  ":" + e.tag);
  EXPECT_EQ(got, (std::vector<std::string>{"1:0:", "2:1:12", "3:2:45", "4:3:9", "12345678:0:"}));
  EXPECT_EQ(checkpoint_dir_name(4), "iter_0000004");
}

TEST(SaveDir, ReSaveReplacesTheIterationAndLeavesNothingElse) {
  ClearFailpoints clear;
  TestDir dir;
  const std::string save = dir / "ckpt";
  save_tiny(save, 2, 1);
  save_tiny(save, 2, 2);  // exchanged with the first copy
  EXPECT_EQ(names(save), (std::vector<std::string>{"iter_0000002", kLatestMarker}));
  EXPECT_EQ(open_checkpoint(save).state.seed, 2u);
  // Where the file system cannot exchange: the old copy goes aside as .old and is removed.
  failpoint::configure("checkpoint.exchange:einval");
  save_tiny(save, 2, 3);
  EXPECT_EQ(names(save), (std::vector<std::string>{"iter_0000002", kLatestMarker}));
  EXPECT_EQ(open_checkpoint(save).state.seed, 3u);
}

TEST(SaveDir, FullDiskKeepsThePreviousCheckpointAndNoTemporaryDirectory) {
  ClearFailpoints clear;
  TestDir dir;
  const std::string save = dir / "ckpt";
  save_tiny(save, 1);
  for (const char* point : {"checkpoint.write_shard", "checkpoint.write_metadata",
                            "checkpoint.write_manifest", "checkpoint.fsync_tmp"}) {
    SCOPED_TRACE(point);
    failpoint::configure(std::string(point) + ":enospc");
    expect_error([&] { save_tiny(save, 2); }, {"No space left on device", point});
    EXPECT_EQ(names(save), (std::vector<std::string>{"iter_0000001", kLatestMarker}));
    EXPECT_EQ(open_checkpoint(save).state.iteration, 1);
  }
  // After the rename: the new directory is complete, the marker still names the previous one.
  failpoint::configure("checkpoint.write_marker:enospc");
  expect_error([&] { save_tiny(save, 2); }, {"No space left on device"});
  EXPECT_EQ(read_marker(save), 1);
  EXPECT_EQ(open_checkpoint(save).state.iteration, 1);
}

TEST(SaveDir, LoadFallsBackToTheNewestCompleteCheckpointAndSaysWhy) {
  TestDir dir;
  const std::string save = dir / "ckpt";
  save_tiny(save, 1);
  save_tiny(save, 2);
  write_marker(save, 3);
  CheckpointInfo info = open_checkpoint(save);
  EXPECT_EQ(info.state.iteration, 2);
  EXPECT_EQ(info.fallback_reason,
            std::string(kLatestMarker) + " names iter_0000003 which does not exist");
  fs::create_directories(fs::path(save) / "iter_0000003");  // never written to the end
  EXPECT_NE(open_checkpoint(save).fallback_reason.find("incomplete (no manifest.json)"),
            std::string::npos);
  // An interrupted re-save without exchange: iteration 2 only as its .old copy.
  write_marker(save, 2);
  fs::rename(fs::path(save) / "iter_0000002", fs::path(save) / "iter_0000002.old.77");
  info = open_checkpoint(save);
  EXPECT_EQ(info.state.iteration, 2);
  EXPECT_EQ(fs::path(info.dir).filename(), "iter_0000002.old.77");
  // No marker (killed between the first rename and the first marker): the complete one.
  fs::remove(fs::path(save) / kLatestMarker);
  EXPECT_TRUE(is_ascent_checkpoint(save));
  EXPECT_EQ(open_checkpoint(save).fallback_reason, std::string(kLatestMarker) + " is missing");
  // Nothing complete left.
  fs::remove_all(fs::path(save) / "iter_0000002.old.77");
  fs::remove_all(fs::path(save) / "iter_0000001");
  write_marker(save, 2);
  expect_error([&] { open_checkpoint(save); },
               {"names iter_0000002 which does not exist", "no complete checkpoint is there"});
  fs::remove(fs::path(save) / kLatestMarker);
  EXPECT_FALSE(is_ascent_checkpoint(save));  // only an incomplete iter_0000003
}

TEST(SaveDir, CorruptMarkerCheckpointIsAnErrorNotAFallback) {
  TestDir dir;
  const std::string save = dir / "ckpt";
  save_tiny(save, 1);
  save_tiny(save, 2);
  fs::resize_file(fs::path(save) / "iter_0000002" / "rank_00000.safetensors", 100);
  expect_error([&] { open_checkpoint(save); }, {"rank_00000.safetensors: size 100"});
}

TEST(SaveDir, StartupRecoveryRemovesWhatDeadWritersLeftAndRestoresAReSave) {
  TestDir dir;
  const fs::path save = dir / "ckpt";
  save_tiny(save.string(), 1);
  const std::string dead = dead_pid(), live = std::to_string(getppid());
  // A finished child not yet reaped (as under a PID 1 that does not reap): gone too.
  const pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  while (testing::read_text("/proc/" + std::to_string(zombie) + "/stat").find(") Z") ==
         std::string::npos)
    usleep(1000);
  fs::copy(save / "iter_0000001", save / ("iter_0000005.tmp." + std::to_string(zombie)),
           fs::copy_options::recursive);
  for (const std::string& d :
       {"iter_0000002.tmp." + dead, "iter_0000002.tmp." + live, std::string("iter_0000002.tmp.abc"),
        "iter_0000001.old." + dead, "iter_0000004.del." + dead})
    fs::copy(save / "iter_0000001", save / d, fs::copy_options::recursive);
  fs::copy(save / "iter_0000001", save / ("iter_0000003.old." + dead), fs::copy_options::recursive);
  const std::vector<std::string> lines = recover_save_dir(save.string());
  waitpid(zombie, nullptr, 0);
  EXPECT_EQ(lines.size(), 5u);
  EXPECT_EQ(names(save.string()),
            (std::vector<std::string>{"iter_0000001", "iter_0000002.tmp." + live,
                                      "iter_0000002.tmp.abc", "iter_0000003", kLatestMarker}));
  const std::string all = ::testing::PrintToString(lines);
  EXPECT_NE(all.find("removed iter_0000002.tmp." + dead), std::string::npos) << all;
  EXPECT_NE(all.find("restored iter_0000003.old." + dead + " to iter_0000003"), std::string::npos)
      << all;
  EXPECT_NE(all.find("MB, left by writer " + dead + ", which is gone"), std::string::npos) << all;
}

TEST(SaveDir, KeepLastCheckpointsNeverDeletesTheMarkersOrNewerOnes) {
  ClearFailpoints clear;
  TestDir dir;
  const fs::path save = dir / "ckpt";
  for (int it = 1; it <= 4; ++it) save_tiny(save.string(), it);
  fs::copy(save / "iter_0000004", save / "iter_0000009", fs::copy_options::recursive);
  EXPECT_TRUE(prune_checkpoints(save.string(), 0).empty());
  failpoint::configure("checkpoint.prune:enospc");
  expect_error([&] { prune_checkpoints(save.string(), 2); }, {"iter_0000002"});
  failpoint::configure("");
  EXPECT_EQ(prune_checkpoints(save.string(), 2),
            (std::vector<std::string>{"iter_0000002", "iter_0000001"}));
  EXPECT_EQ(names(save.string()), (std::vector<std::string>{"iter_0000003", "iter_0000004",
                                                            "iter_0000009", kLatestMarker}));
  EXPECT_EQ(prune_checkpoints(save.string(), 1), (std::vector<std::string>{"iter_0000003"}));
  EXPECT_EQ(open_checkpoint(save.string()).state.iteration, 4);
}

}  // namespace
}  // namespace ascent
