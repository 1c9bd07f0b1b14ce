#pragma once
// The save directory of ascent checkpoints and the file-system steps of the save protocol
// (docs/RELIABILITY.md, "Crash consistency"). Names the protocol owns in {save}/:
//   iter_{%07d}/                        a complete checkpoint (renamed into place whole)
//   iter_{%07d}.tmp.{tag}/              being written; after a re-save's exchange, the replaced
//   copy iter_{%07d}.old.{tag}/              the replaced copy of a re-save on a file system that
//   cannot
//                                       exchange two directories (iter_N may be missing meanwhile)
//   iter_{%07d}.del.{tag}/              an old checkpoint being pruned (--keep-last-checkpoints)
//   latest_checkpointed_iteration.txt   the commit point: the iteration to resume
// {tag} is the writing job's rank-0 pid. Every step that changes the directory is preceded by a
// failpoint (core/failpoint.h) named "checkpoint.<step>".
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ascent {

inline constexpr const char* kLatestMarker = "latest_checkpointed_iteration.txt";

// "iter_0000004"
std::string checkpoint_dir_name(int64_t iteration);

struct SaveDirEntry {
  enum class Kind { kCommitted, kTemporary, kReplaced, kDeleting };
  Kind kind = Kind::kCommitted;
  int64_t iteration = 0;
  std::string tag;  // "" for kCommitted
  std::filesystem::path path;
};
// The directories of save_dir whose names the protocol owns (none when save_dir does not exist).
std::vector<SaveDirEntry> list_save_dir(const std::string& save_dir);
// True when dir holds manifest.json, which the protocol writes last into a checkpoint directory.
bool has_manifest(const std::filesystem::path& dir);

// The iteration the marker names; nullopt without a marker. Throws "[checkpoint] ..." when the
// marker holds no iteration number.
std::optional<int64_t> read_marker(const std::string& save_dir);
void write_marker(const std::string& save_dir, int64_t iteration);

// Calls failpoint::hit(point); an injected errno fails the step with an ascent::Error naming
// `target`, as the real failure would.
void checkpoint_step(const char* point, const std::filesystem::path& target);

// Moves the complete temporary directory `tmp` to `final_dir`. When final_dir exists (a re-save of
// an iteration) the two are exchanged atomically (renameat2 RENAME_EXCHANGE), so final_dir never
// stops existing; where the file system cannot, the old copy is first renamed to
// {final_dir}.old.{tag}, which loading and recover_save_dir() fall back to. Returns the replaced
// copy for the caller to remove once the marker is written ("" when nothing was replaced).
std::string install_checkpoint_dir(const std::filesystem::path& tmp,
                                   const std::filesystem::path& final_dir, const std::string& tag);

// Start-up recovery (rank 0, before anything in save_dir is opened): removes the .tmp and .del
// directories and the redundant .old directories of writers that are gone (tag = pid that is no
// live process, or this process); renames an .old directory back to iter_N when it is the only
// copy of iteration N. Logs each action; returns the log lines.
std::vector<std::string> recover_save_dir(const std::string& save_dir);

// --keep-last-checkpoints: after a committed save, deletes complete checkpoints older than the
// marker's so that `keep_last` remain up to and including it (the marker's is never deleted, nor
// any newer one). keep_last 0 keeps everything. Returns the deleted directories.
std::vector<std::string> prune_checkpoints(const std::string& save_dir, int64_t keep_last);

}  // namespace ascent
