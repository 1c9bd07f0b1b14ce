#pragma once
// Causal self-attention sub-layer: fused q/k/v projection, positions (RoPE on q and k, or ALiBi
// inside the kernel, or nothing when the model adds absolute embeddings), attention (with
// ctx.dropout.attention inside the kernel), output projection added into the residual stream
// (through hidden dropout when ctx.dropout.hidden > 0).
#include <vector>

#include "kernels/kernels.h"
#include "model/config.h"
#include "model/layers/context.h"
#include "model/params.h"

namespace ascent {

struct AttentionStash {
  Tensor h_c;                            // [N, C] normed input, compute dtype
  Tensor qkv;                            // [N, (NH+2KVH)*HS] f32, after bias and RoPE
  Tensor out;                            // [N, NH*HS] f32 attention output
  Tensor out_c;                          // [N, NH*HS] compute dtype (== out in f32)
  Tensor lse;                            // [B, NH, T]
  const int32_t* segment_ids = nullptr;  // [N] attention segments (not owned), or nullptr
};

class SelfAttention {
 public:
  // A TP rank (tp_size > 1) computes heads [tp_rank * NH / tp, (tp_rank + 1) * NH / tp) and their
  // KV groups: column-parallel q/k/v, row-parallel o (model/tensor_parallel.h).
  explicit SelfAttention(const ModelConfig& cfg, int tp_rank = 0, int tp_size = 1);

  // residual (+=) dropout(o_proj(attention(qkv_proj(h_c)))). `w` are compute-dtype weights, `m`
  // the f32 master views (biases). Fills `st` from ctx.stash. Backward must get the same
  // ctx.dropout (masks are regenerated, not stashed). segment_ids [N] (kernels::AttentionDims;
  // must stay valid until backward) restricts attention to each token's segment (packed rows).
  void forward(const LayerContext& ctx, const Tensor& h_c, const BlockParams& w,
               const BlockParams& m, const Tensor& residual, AttentionStash* st,
               const int32_t* segment_ids = nullptr) const;
  // dresidual: gradient w.r.t. the residual output [N, C] (read only).
  // dh (=) [N, C] gradient w.r.t. h; parameter gradients in g (+=). Temporaries in ctx.scratch.
  void backward(const LayerContext& ctx, const Tensor& dresidual, const BlockParams& w,
                const AttentionStash& st, const Tensor& dh, const BlockParams& g) const;

 private:
  kernels::AttentionDims dims(const LayerContext& ctx, const int32_t* segment_ids) const;

  int64_t NH_, KVH_, HS_;      // this rank's heads and KV groups
  int64_t head_offset_, total_heads_;  // global index of head 0, heads of the whole model
  bool rope_ = false;
  kernels::RopeTable rope_table_;
  std::vector<float> alibi_;  // empty unless ALiBi
};

}  // namespace ascent
