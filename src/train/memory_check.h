#pragma once
// Before the trainer allocates anything: the model state (weights, their compute copy, gradients
// and optimizer state, as parallel/memory_report.h counts them) of every rank on this machine
// against the memory the machine has left (core/system_memory.h). Activations are not counted:
// a run that passes may still run out of memory, but one that fails certainly would, after
// minutes of swapping or an OOM kill that names nothing.
#include <cstdint>
#include <optional>
#include <string>

#include "core/system_memory.h"
#include "model/config.h"
#include "model/sharding.h"
#include "parallel/topology.h"
#include "train/train_args.h"

namespace ascent {

struct ModelStateNeed {
  int64_t bytes = 0;   // summed over the ranks on this machine
  int ranks = 1;       // ranks on this machine
  int64_t params = 0;  // parameters this rank holds
  std::string detail;  // this rank's bytes, item by item
};

// This rank's model state for `shard` of `cfg` under the args' precision, optimizer and ZeRO
// stage, summed over the ranks of its machine: with `topo`, a collective over the world.
ModelStateNeed model_state_need(const TrainArgs& args, const ModelConfig& cfg,
                                const ShardSpec& shard, const parallel::Topology* topo);

// Throws ascent::Error "[train] ..." naming both sizes when the need exceeds what is available;
// nothing when `available` is unknown.
void check_model_state_fits(const ModelStateNeed& need,
                            const std::optional<AvailableMemory>& available);

}  // namespace ascent
