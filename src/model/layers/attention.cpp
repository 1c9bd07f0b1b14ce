#include "model/layers/attention.h"

#include <cmath>

#include "model/layers/linear.h"

namespace ascent {

SelfAttention::SelfAttention(const ModelConfig& cfg, int tp_rank, int tp_size)
    : NH_(cfg.num_attention_heads / tp_size),
      KVH_(cfg.num_query_groups / tp_size),
      HS_(cfg.head_size()),
      head_offset_(tp_rank * NH_),
      total_heads_(cfg.num_attention_heads) {
  if (cfg.position == PositionType::Rope) {
    rope_ = true;
    rope_table_ = kernels::rope_table(cfg.max_position_embeddings, HS_, cfg.rope_theta);
  } else if (cfg.position == PositionType::Alibi) {
    // Slopes depend on the global head index.
    const std::vector<float> all = kernels::alibi_slopes(cfg.num_attention_heads);
    alibi_.assign(all.begin() + tp_rank * NH_, all.begin() + (tp_rank + 1) * NH_);
  }
}

kernels::AttentionDims SelfAttention::dims(const LayerContext& ctx,
                                           const int32_t* segment_ids) const {
  kernels::AttentionDims d;
  d.B = ctx.B;
  d.T = ctx.T;
  d.NH = NH_;
  d.KVH = KVH_;
  d.HS = HS_;
  d.scale = 1.0f / std::sqrt(static_cast<float>(HS_));
  d.alibi_slopes = alibi_.empty() ? nullptr : alibi_.data();
  d.dropout = ctx.dropout.attention;
  d.dropout_seed = ctx.dropout.seed;
  d.dropout_stream = ctx.dropout.stream(DropoutSite::kAttentionProbs);
  d.segment_ids = segment_ids;
  d.head_offset = head_offset_;
  d.total_heads = total_heads_;
  return d;
}

void SelfAttention::forward(const LayerContext& ctx, const Tensor& h_c, const BlockParams& w,
                            const BlockParams& m, const Tensor& residual, AttentionStash* st,
                            const int32_t* segment_ids) const {
  const int64_t N = ctx.N(), QKV = (NH_ + 2 * KVH_) * HS_;
  st->h_c = h_c;
  st->segment_ids = segment_ids;
  st->qkv = ctx.stash->alloc(DType::F32, {N, QKV});
  linear::forward(h_c, w.wqkv, m.bqkv, st->qkv);
  if (rope_) kernels::rope_apply(st->qkv, NH_ + KVH_, ctx.positions, rope_table_, false);

  st->out = ctx.stash->alloc(DType::F32, {N, NH_ * HS_});
  st->lse = ctx.stash->alloc(DType::F32, {ctx.B, NH_, ctx.T});
  kernels::attention_forward(dims(ctx, segment_ids), st->qkv, st->out, st->lse);
  st->out_c = to_compute(ctx, st->out, *ctx.stash);

  linear::residual_forward(ctx, DropoutSite::kAttentionOut, st->out_c, w.wo, m.bo, residual);
}

void SelfAttention::backward(const LayerContext& ctx, const Tensor& dresidual, const BlockParams& w,
                             const AttentionStash& st, const Tensor& dh,
                             const BlockParams& g) const {
  const int64_t N = ctx.N(), QKV = (NH_ + 2 * KVH_) * HS_;
  Arena& s = *ctx.scratch;
  const Arena::Mark mark = s.mark();

  // Output projection (and hidden dropout).
  Tensor dout = s.alloc(DType::F32, {N, NH_ * HS_});
  linear::residual_backward(ctx, DropoutSite::kAttentionOut, dresidual, st.out_c, w.wo, dout, g.wo,
                            g.bo);

  // Attention, then undo RoPE on the q and k gradients (rotation by -theta).
  Tensor dqkv = s.alloc(DType::F32, {N, QKV});
  kernels::attention_backward(dims(ctx, st.segment_ids), st.qkv, st.out, st.lse, dout, dqkv);
  if (rope_) kernels::rope_apply(dqkv, NH_ + KVH_, ctx.positions, rope_table_, true);

  // Fused q/k/v projection.
  Tensor dqkv_c = to_compute(ctx, dqkv, s);
  linear::backward(dqkv, dqkv_c, st.h_c, w.wqkv, dh, g.wqkv, g.bqkv);
  s.rewind(mark);
}

}  // namespace ascent
