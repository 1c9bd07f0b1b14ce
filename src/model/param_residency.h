#pragma once
// Hooks around each use of a group of parameters, so that a rank can keep only a shard of them
// and materialise one group at a time (ZeRO-3: parallel/dp gathers a layer just before it runs
// and frees it right after; the backward's gradients of the layer are reduced away at release).
// model/ only calls the hooks; the trainer implements them. Without hooks every parameter is
// always resident.
#include <cstdint>

namespace ascent {

// The parameters one step of the transformer reads: the input side (word and position
// embeddings, embedding norm), one block, or the output side (final norm and LM head, which is
// the word embedding when tied).
struct ParamRegion {
  enum class Kind { kEmbedding, kBlock, kHead };
  Kind kind = Kind::kBlock;
  int64_t layer = -1;  // global layer index of a block
};

class ParamResidency {
 public:
  virtual ~ParamResidency() = default;
  // The region's parameters (master and compute copy) must be readable now. backward: its
  // gradients are about to accumulate (they read as zero).
  virtual void acquire(ParamRegion r, bool backward) = 0;
  // Done with the region. backward: its gradients for this micro-batch are final.
  virtual void release(ParamRegion r, bool backward) = 0;
};

}  // namespace ascent
