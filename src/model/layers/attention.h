#pragma once
// Causal self-attention sub-layer: fused q/k/v projection (column-parallel), positions (one
// AttentionPositions variant: RoPE on q and k, ALiBi inside the kernel, or nothing when the model
// adds absolute embeddings), attention (with ctx.dropout.attention inside the kernel), output
// projection (row-parallel) added into the residual stream through hidden dropout.
#include <memory>

#include "kernels/kernels.h"
#include "model/config.h"
#include "model/layers/attention_positions.h"
#include "model/layers/context.h"
#include "model/layers/parallel_linear.h"
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
  // A TP rank computes heads [rank * NH / tp, (rank + 1) * NH / tp) and their KV groups.
  SelfAttention(const ModelConfig& cfg, const tp::Regions& regions);

  // The projection whose input forward takes (alloc_input places a norm's output for it).
  const tp::ColumnParallelLinear& input_projection() const { return qkv_; }
  const AttentionPositions& positions() const { return *positions_; }

  // residual [rows, C] (+=) dropout(o_proj(attention(qkv_proj(h)))) for h [rows, C] f32, this
  // rank's rows of the normed input (from input_projection().alloc_input). `w` are compute-dtype
  // weights, `m` the f32 master views (biases). Fills `st` from ctx.stash. Backward must get the
  // same ctx.dropout (masks are regenerated, not stashed). segment_ids [N]
  // (kernels::AttentionDims; must stay valid until backward) restricts attention to each token's
  // segment (packed rows).
  void forward(const LayerContext& ctx, const Tensor& h, const BlockParams& w, const BlockParams& m,
               const Tensor& residual, AttentionStash* st,
               const int32_t* segment_ids = nullptr) const;
  // dresidual [rows, C]: gradient w.r.t. the residual output (read only). Gradient convention:
  // parameter gradients in g (+=); returns dh [rows, C] (=), d loss / d h, in ctx.scratch with
  // the other temporaries (the caller rewinds).
  Tensor backward(const LayerContext& ctx, const Tensor& dresidual, const BlockParams& w,
                  const AttentionStash& st, const BlockParams& g) const;

 private:
  kernels::AttentionDims dims(const LayerContext& ctx, const int32_t* segment_ids) const;

  int64_t NH_, KVH_, HS_;              // this rank's heads and KV groups
  int64_t head_offset_, total_heads_;  // global index of head 0, heads of the whole model
  std::unique_ptr<AttentionPositions> positions_;
  tp::ColumnParallelLinear qkv_;
  tp::RowParallelLinear out_;
};

}  // namespace ascent
