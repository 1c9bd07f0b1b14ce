#pragma once
// What every layer needs besides its parameters: the micro-batch shape, the compute dtype of
// matmul operands, the dropout key, and two arenas: `stash` holds what backward needs (lives
// from forward to backward), `scratch` holds temporaries of one call (callers rewind it freely).
#include <cstdint>

#include "core/arena.h"
#include "core/tensor.h"

namespace ascent {

// Where a block drops; with the layer index it names the Philox stream of the mask.
enum class DropoutSite : uint64_t { kAttentionProbs = 0, kAttentionOut = 1, kMlpOut = 2 };

// Dropout of one block call (DESIGN.md section 3): masks are Philox streams under `seed` (one per
// micro-batch, chosen by the trainer), regenerated in backward from the same key. Probabilities
// are 0 (off) in evaluation and inference, which is the default.
struct DropoutKey {
  float attention = 0.f;  // attention probabilities (ModelConfig::attention_dropout)
  float hidden = 0.f;     // sub-layer outputs before the residual add (ModelConfig::hidden_dropout)
  uint64_t seed = 0;
  int64_t layer = 0;  // block index in the whole model

  uint64_t stream(DropoutSite site) const {
    return static_cast<uint64_t>(layer) * 3 + static_cast<uint64_t>(site);
  }
};

struct LayerContext {
  int64_t B = 0, T = 0;                // micro-batch size and sequence length; N = B*T rows
  DType compute = DType::F32;          // matmul operand dtype (f32, or bf16 with f32 accumulation)
  const int32_t* positions = nullptr;  // [N] position of each token (RoPE, absolute embeddings)
  Arena* stash = nullptr;
  Arena* scratch = nullptr;
  DropoutKey dropout;  // rates 0: no dropout
  // The rows of the residual stream this rank holds: [first_row, first_row + held_rows) of the N
  // rows, all of them (held_rows -1) unless sequence parallel. The model sets them from its
  // tp::Regions (model/layers/tp_regions.h); attention and MLP always see all N rows.
  int64_t held_rows = -1;
  int64_t first_row = 0;

  int64_t N() const { return B * T; }
  int64_t rows() const { return held_rows < 0 ? N() : held_rows; }
  int64_t row_begin() const { return first_row; }
};

// x itself when the compute dtype is f32, else a cast copy of x allocated in `arena`.
Tensor to_compute(const LayerContext& ctx, const Tensor& x, Arena& arena);

}  // namespace ascent
