#pragma once
// ascent checkpoints (DESIGN.md section 6):
//   {save}/iter_{%07d}/rank_{%05d}.safetensors  one file per model shard (tp_rank, pp_rank), named
//                                                by its model-parallel rank pp_rank * TP + tp_rank:
//                                                parameters "model/<name>" and optimizer state
//                                                "optim/<state>/<name>", f32, in the shard's local
//                                                shapes (names from ParamLayout, always global)
//   {save}/iter_{%07d}/metadata.json            iteration, consumed samples, optimizer steps, seed,
//                                                layout (TP, PP, virtual stages, manual layers, DP,
//                                                ZeRO stage), model config, effective args, every
//                                                tensor's global shape and split, and per shard
//                                                file its coordinates and where each slice starts
//   {save}/iter_{%07d}/manifest.json            size and XXH3-64 of every file of the directory
//   {save}/latest_checkpointed_iteration.txt    written last: the commit point
// A single-process run writes rank_00000.safetensors holding the whole model (the format of
// checkpoints written before sharding existed, which still load).
//
// Saving writes a temporary directory, fsyncs it, renames it into place (a re-save of an iteration
// exchanges it with the older copy) and only then rewrites the marker, so a crash at any point
// leaves a complete checkpoint loadable (checkpoint/save_dir.h, docs/RELIABILITY.md). Loading
// checks the marker, the manifest (sizes and hashes) and every tensor's shape, and names what is
// wrong; when the marker names a directory that is missing or incomplete (no manifest.json), it
// falls back to the newest complete one and says so.
// Loading reshards: any checkpoint loads onto any ShardSpec (TP2 x PP2 -> TP1, TP1 -> TP4, PP2 ->
// PP3 uneven, ...), each rank reading only the slices it needs.
//
// Distributed save, in this order (the save directory must be shared by the writing ranks):
//   PendingCheckpoint p = pending_checkpoint(save, iteration, tag);  // every rank, same tag
//   if (rank 0) begin_checkpoint(p);              barrier
//   if (dp_rank 0) save_checkpoint_shard(p, ...);  // each (tp_rank, pp_rank) once
//   barrier;  if (rank 0) commit_checkpoint(p, ...);  barrier
// ZeRO: optimizer state is saved in model-shard terms (per tensor, in TP/PP-local shapes), never
// as DP flat ranges; a ZeRO trainer all-gathers its DP shards of the state (for dp_rank 0) before
// save_checkpoint_shard, and after loading keeps its own DP range. A checkpoint therefore loads
// under any DP size and ZeRO stage.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/sharding.h"
#include "model/weights.h"
#include "optim/optimizer.h"

namespace ascent {

struct TrainState {
  int64_t iteration = 0;
  int64_t consumed_train_samples = 0;
  int64_t optimizer_steps = 0;
  uint64_t seed = 0;
  nlohmann::json args = nlohmann::json::object();  // effective configuration of the run
  // fp16 loss scaler (optim/loss_scaler.h) as {"scale", "growth_tracker", "hysteresis_tracker"};
  // null when the run had none.
  nlohmann::json loss_scaler;
};

// The parallel layout of the job writing a checkpoint. Only model_parallel decides the files; DP
// size and ZeRO stage are recorded for the record.
struct CheckpointLayout {
  ModelParallelConfig model_parallel;
  int data_parallel_size = 1;
  int zero_stage = 0;
};

// Saves a whole model (weights.shard() must be the default; a shard goes through
// save_checkpoint_shard) and the optimizer state when opt is not null, as iteration
// state.iteration, with optimizer steps from opt when given.
void save_checkpoint(const std::string& save_dir, const ModelWeights& weights, Optimizer* opt,
                     const TrainState& state);

// ---- Distributed save, piece by piece (order above) ----

// A checkpoint being written into {save_dir}/iter_{%07d}.tmp.{tag}/.
struct PendingCheckpoint {
  std::string save_dir;
  int64_t iteration = 0;
  std::string tag;
  std::string tmp_dir;
};
// Pure: every rank computes the same paths from the same arguments. `tag` must be the same on
// every rank (e.g. rank 0's pid, broadcast) and differ between concurrent writers.
PendingCheckpoint pending_checkpoint(const std::string& save_dir, int64_t iteration,
                                     const std::string& tag);
// Rank 0, before any shard is written: an empty temporary directory (a stale one is removed).
void begin_checkpoint(const PendingCheckpoint& p);

// Named optimizer state: state name ("exp_avg", ...) -> flat f32 buffer with the part's layout.
using NamedState = std::vector<std::pair<std::string, const float*>>;
// The state buffers of opt (empty for nullptr).
NamedState optimizer_state(Optimizer* opt);

// One piece of a shard held in its own flat buffer (a whole rank, or one virtual pipeline chunk).
struct ShardPart {
  const ParamLayout* layout = nullptr;
  const float* master = nullptr;  // [layout->total()]
  NamedState optim;               // the same state names in every part
};

// rank_{pp_rank * tp_size + tp_rank:05d}.safetensors
std::string shard_file_name(int tp_rank, int pp_rank, int tp_size);

// Writes the shard file of (tp_rank, pp_rank) from parts, which together must hold exactly the
// tensors of layout.model_parallel.shard(cfg, tp_rank, pp_rank) (throws "[checkpoint] ..."
// otherwise). Returns the file name. Overwrites a file of the same name in p.tmp_dir.
std::string save_checkpoint_shard(const PendingCheckpoint& p, const ModelConfig& cfg,
                                  const CheckpointLayout& layout, int tp_rank, int pp_rank,
                                  std::span<const ShardPart> parts);
// The same for one ModelWeights holding the whole stage (weights.shard() ==
// layout.model_parallel.shard(cfg, weights.shard().tp_rank, pp_rank)) and its optimizer.
std::string save_checkpoint_shard(const PendingCheckpoint& p, const CheckpointLayout& layout,
                                  int pp_rank, const ModelWeights& weights, Optimizer* opt);

// Rank 0, after every shard file is written: checks they are all there, writes metadata.json and
// manifest.json, renames the directory to iter_{%07d} (replacing an older one of that iteration)
// and rewrites the marker. On an error before the rename the temporary directory is removed.
// optimizer_state: the state names the shards hold (empty: weights only).
void commit_checkpoint(const PendingCheckpoint& p, const ModelConfig& cfg,
                       const CheckpointLayout& layout,
                       const std::vector<std::string>& optimizer_state, const TrainState& state);

// ---- Loading ----

struct CheckpointShardFile {
  std::string file;
  int tp_rank = 0, pp_rank = 0;
  std::map<std::string, int64_t> split_offsets;  // tensor -> split_offset (absent: 0)
};

struct CheckpointTensor {
  std::vector<int64_t> global_shape;
  int split_dim = -1;  // as written; -1 for checkpoints written before sharding
};

struct CheckpointInfo {
  std::string dir;  // the verified iter_ directory
  // Why `dir` is not the one the marker names ("" when it is): the fallback open_checkpoint took.
  std::string fallback_reason;
  ModelConfig config;
  TrainState state;
  bool has_optimizer = false;
  CheckpointLayout layout;                   // of the job that wrote it
  std::vector<std::string> optimizer_state;  // state names ("exp_avg", "exp_avg_sq")
  std::vector<CheckpointShardFile> files;    // in model-parallel rank order
  std::map<std::string, CheckpointTensor> tensors;
};

// Resolves `path`: a save directory with latest_checkpointed_iteration.txt, or an iter_ directory
// itself. Verifies the manifest. When the marker is missing or names a directory that is missing
// or has no manifest.json, takes the newest complete iter_N (or iter_N.old.{tag}, the only copy
// left by an interrupted re-save) and logs a warning saying so. Throws ascent::Error
// "[checkpoint] <path>: ..." when nothing complete is there, or the marker's checkpoint is
// corrupt (a size or hash that differs from its manifest).
CheckpointInfo open_checkpoint(const std::string& path);
// True when path looks like an ascent checkpoint (marker file or metadata.json present, or an
// iter_ directory holding a manifest).
bool is_ascent_checkpoint(const std::string& path);

// Overwrites every tensor of `layout` in flat (layout.total() floats) with its slice from the
// checkpoint, whatever layout wrote it: group "model" for parameters, or an optimizer state name.
// Only the overlapping slices of the shard files are read; vocabulary padding rows become zero,
// alignment gaps are left alone. Throws "[checkpoint] <file>: ..." naming a tensor that is
// missing, has another global shape, or whose slices do not cover this layout's.
void read_checkpoint_tensors(const CheckpointInfo& ckpt, const std::string& group,
                             const ParamLayout& layout, float* flat);
// Overwrites the master weights (and the optimizer state when opt is not null) of any shard from
// a verified checkpoint of any layout; sets the optimizer's step count; refreshes the compute copy.
void load_checkpoint(const CheckpointInfo& ckpt, ModelWeights& weights, Optimizer* opt);

}  // namespace ascent
