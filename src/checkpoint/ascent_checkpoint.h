#pragma once
// ascent checkpoints (DESIGN.md section 6):
//   {save}/iter_{%07d}/rank_00000.safetensors  parameters "model/<name>" and optimizer state
//                                               "optim/<state>/<name>" (f32; names from ParamLayout)
//   {save}/iter_{%07d}/metadata.json           iteration, consumed samples, optimizer steps, seed,
//                                               layout, model config, effective args, tensor shapes
//   {save}/iter_{%07d}/manifest.json           size and XXH3-64 of every file of the directory
//   {save}/latest_checkpointed_iteration.txt   written last: the commit point
// Saving writes a temporary directory, fsyncs it, renames it into place and only then rewrites the
// marker, so a crash at any point leaves the previous checkpoint loadable. Loading checks the
// marker, the manifest (sizes and hashes) and every tensor's shape, and names what is wrong.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "model/config.h"
#include "model/weights.h"
#include "optim/optimizer.h"

namespace ascent {

struct TrainState {
  int64_t iteration = 0;
  int64_t consumed_train_samples = 0;
  int64_t optimizer_steps = 0;
  uint64_t seed = 0;
  nlohmann::json args = nlohmann::json::object();  // effective configuration of the run
};

// Saves weights (and the optimizer state when opt is not null) as iteration state.iteration.
void save_checkpoint(const std::string& save_dir, const ModelWeights& weights, Optimizer* opt,
                     const TrainState& state);

struct CheckpointInfo {
  std::string dir;  // the verified iter_ directory
  ModelConfig config;
  TrainState state;
  bool has_optimizer = false;
};

// Resolves `path`: a save directory with latest_checkpointed_iteration.txt, or an iter_ directory
// itself. Verifies the manifest. Throws ascent::Error "[checkpoint] <path>: ..." otherwise.
CheckpointInfo open_checkpoint(const std::string& path);
// True when path looks like an ascent checkpoint (marker file or metadata.json present).
bool is_ascent_checkpoint(const std::string& path);
// Overwrites the master weights (and the optimizer state when opt is not null) from a verified
// checkpoint; refreshes the compute copy. Shapes must match the weights' layout.
void load_checkpoint(const CheckpointInfo& ckpt, ModelWeights& weights, Optimizer* opt);

}  // namespace ascent
