#pragma once
// Offline layout changes (`ascent convert`): an ascent checkpoint rewritten into another TP x PP
// layout, and HF directories <-> checkpoints of any layout. One process, one shard in memory at a
// time (plus, for HF, one HF tensor).
#include <cstddef>
#include <string>

#include "checkpoint/ascent_checkpoint.h"
#include "core/dtype.h"
#include "model/config.h"

namespace ascent {

// Writes checkpoint `src` (any layout) into save_dir as iteration src.state.iteration in layout
// `target`: parameters and, when src has them, optimizer state, with src's train state. cfg: the
// model config to write (src.config, or it with another make_vocab_size_divisible_by); it must
// describe the same tensors. Args "tensor-model-parallel-size" / "pipeline-model-parallel-size" in
// the saved args follow the target. Throws "[checkpoint] ..." / "[model] ..." naming the problem.
void reshard_checkpoint(const CheckpointInfo& src, const ModelConfig& cfg,
                        const std::string& save_dir, const CheckpointLayout& target);

// HF directory -> checkpoint in layout `target` (weights only, iteration state.iteration).
void hf_to_checkpoint(const std::string& hf_dir, const ModelConfig& cfg,
                      const std::string& save_dir, const CheckpointLayout& target,
                      const TrainState& state);

// Checkpoint of any layout -> HF directory (whole model, real vocabulary), see save_hf.
void checkpoint_to_hf(const CheckpointInfo& src, const std::string& hf_dir, DType dtype,
                      size_t max_shard_bytes = 0);

}  // namespace ascent
