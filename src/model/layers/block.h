#pragma once
// One pre-norm transformer block: x_mid = x + attention(norm1(x)), out = x_mid + mlp(norm2(x_mid)).
// The norms run on this rank's rows of the residual stream; attention and MLP reach the other
// ranks' rows and width through their tensor-parallel projections.
#include "model/config.h"
#include "model/layers/attention.h"
#include "model/layers/context.h"
#include "model/layers/mlp.h"
#include "model/layers/norm.h"
#include "model/layers/tp_regions.h"
#include "model/params.h"

namespace ascent {

struct BlockStash {
  NormStash norm1, norm2;
  AttentionStash attn;
  MlpStash mlp;
  Tensor x_mid;  // [rows, C] residual stream after attention
};

class TransformerBlock {
 public:
  TransformerBlock(const ModelConfig& cfg, const tp::Regions& regions);

  const SelfAttention& attention() const { return attention_; }

  // Returns the block's output [rows, C] (=, in ctx.stash) for x [rows, C] (read only; kept in
  // the stash by the caller: the first norm's backward reads it). m: f32 master views, c: compute
  // weights. Fills `st` from ctx.stash; ctx.dropout.layer names the masks. segment_ids: see
  // SelfAttention::forward. Temporaries in ctx.scratch (rewound).
  Tensor forward(const LayerContext& ctx, const Tensor& x, const BlockParams& m,
                 const BlockParams& c, BlockStash* st, const int32_t* segment_ids) const;
  // dx [rows, C]: on entry d loss / d output, on return d loss / d x (the residual passes it
  // through and each sub-layer adds its own: +=). Parameter gradients in g (+=). Needs the same
  // ctx as forward. Temporaries in ctx.scratch (rewound).
  void backward(const LayerContext& ctx, const Tensor& dx, const BlockParams& m,
                const BlockParams& c, const BlockStash& st, const BlockParams& g) const;

 private:
  Norm norm_;  // both norms of the block (same type and eps as every norm of the model)
  SelfAttention attention_;
  Mlp mlp_;
};

}  // namespace ascent
