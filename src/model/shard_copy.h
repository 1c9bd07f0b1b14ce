#pragma once
// Moving tensors between shards and whole (global) tensors. A shard's slice of a tensor is a
// contiguous range along ParamSpec::split_dim (model/params.h), so every conversion is a copy of
// row or column ranges. Used by checkpoints (save in one layout, load in another), `ascent
// convert`, HF import/export of sharded layouts, and tests comparing TP runs with one process.
#include <map>
#include <string>
#include <vector>

#include "model/params.h"

namespace ascent {

// The spec of the whole tensor `s` is a slice of: shape = global_shape, split_offset 0,
// offset 0. Copies between it and `s` move a shard's slice in or out of a global tensor.
ParamSpec global_spec(const ParamSpec& s);

// Copies the elements two slices of the same tensor (same name, global shape and split_dim) have
// in common: the overlap of their ranges along split_dim, below the global extent (vocabulary
// padding is never copied). src / dst point at the tensors' first elements. Replicated tensors
// are copied whole. Writes nothing else of dst. Returns how many indices along split_dim were
// copied (for replicated tensors, the whole extent of dim 0).
int64_t copy_overlap(const ParamSpec& src_spec, const float* src, const ParamSpec& dst_spec,
                     float* dst);

// local[0, s.numel) = this shard's slice of global (s.global_numel() floats, row-major);
// vocabulary padding rows are set to zero.
void global_to_shard(const ParamSpec& s, const float* global, float* local);
// The slice of global this shard holds = local (padding dropped). Other elements untouched.
void shard_to_global(const ParamSpec& s, const float* local, float* global);

// Whole tensors by name, each s.global_numel() floats in row-major order of its global shape.
using GlobalTensors = std::map<std::string, std::vector<float>>;

// Overwrites every tensor of layout in flat (layout.total() floats) with its slice of global.
// Alignment gaps between tensors are left as they are. Throws ascent::Error "[model] ..." naming
// a tensor that global lacks or has with the wrong element count.
void extract_shard(const ParamLayout& layout, const GlobalTensors& global, float* flat);
// Writes every tensor of layout from flat into its slice of global, allocating (zeroed) global
// tensors that are not there yet. Call once per shard to assemble a whole model; a tensor several
// shards hold (replicated, tied copy) is written by each of them.
void assemble_global(const ParamLayout& layout, const float* flat, GlobalTensors& global);

}  // namespace ascent
