#pragma once
// What every layer needs besides its parameters: the micro-batch shape, the compute dtype of
// matmul operands, and two arenas: `stash` holds what backward needs (lives from forward to
// backward), `scratch` holds temporaries of one call (callers rewind it freely).
#include <cstdint>

#include "core/arena.h"
#include "core/tensor.h"

namespace ascent {

struct LayerContext {
  int64_t B = 0, T = 0;                 // micro-batch size and sequence length; N = B*T rows
  DType compute = DType::F32;           // matmul operand dtype (f32, or bf16 with f32 accumulation)
  const int32_t* positions = nullptr;   // [N] position of each token (RoPE, absolute embeddings)
  Arena* stash = nullptr;
  Arena* scratch = nullptr;

  int64_t N() const { return B * T; }
};

// x itself when the compute dtype is f32, else a cast copy of x allocated in `arena`.
Tensor to_compute(const LayerContext& ctx, const Tensor& x, Arena& arena);

}  // namespace ascent
