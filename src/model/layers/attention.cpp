#include "model/layers/attention.h"

#include <cmath>

#include "model/layers/linear.h"

namespace ascent {

SelfAttention::SelfAttention(const ModelConfig& cfg, const tp::Regions& regions)
    : NH_(cfg.num_attention_heads / regions.size()),
      KVH_(cfg.num_query_groups / regions.size()),
      HS_(cfg.head_size()),
      head_offset_(regions.rank() * NH_),
      total_heads_(cfg.num_attention_heads),
      positions_(make_attention_positions(cfg, head_offset_, NH_)),
      qkv_(regions),
      out_(regions) {}

kernels::AttentionDims SelfAttention::dims(const LayerContext& ctx,
                                           const int32_t* segment_ids) const {
  kernels::AttentionDims d;
  d.B = ctx.B;
  d.T = ctx.T;
  d.NH = NH_;
  d.KVH = KVH_;
  d.HS = HS_;
  d.scale = 1.0f / std::sqrt(static_cast<float>(HS_));
  d.alibi_slopes = positions_->alibi_slopes();
  d.dropout = ctx.dropout.attention;
  d.dropout_seed = ctx.dropout.seed;
  d.dropout_stream = ctx.dropout.stream(DropoutSite::kAttentionProbs);
  d.segment_ids = segment_ids;
  d.head_offset = head_offset_;
  d.total_heads = total_heads_;
  return d;
}

void SelfAttention::forward(const LayerContext& ctx, const Tensor& h, const BlockParams& w,
                            const BlockParams& m, const Tensor& residual, AttentionStash* st,
                            const int32_t* segment_ids) const {
  const int64_t N = ctx.N(), QKV = (NH_ + 2 * KVH_) * HS_;
  st->segment_ids = segment_ids;
  st->qkv = ctx.stash->alloc(DType::F32, {N, QKV});
  st->h_c = qkv_.forward(ctx, h, w.wqkv, m.bqkv, st->qkv);
  positions_->rotate(st->qkv, NH_ + KVH_, ctx.positions);

  st->out = ctx.stash->alloc(DType::F32, {N, NH_ * HS_});
  st->lse = ctx.stash->alloc(DType::F32, {ctx.B, NH_, ctx.T});
  kernels::attention_forward(dims(ctx, segment_ids), st->qkv, st->out, st->lse);
  st->out_c = to_compute(ctx, st->out, *ctx.stash);

  out_.forward(ctx, DropoutSite::kAttentionOut, st->out_c, w.wo, m.bo, residual);
}

Tensor SelfAttention::backward(const LayerContext& ctx, const Tensor& dresidual,
                               const BlockParams& w, const AttentionStash& st,
                               const BlockParams& g) const {
  const int64_t N = ctx.N(), QKV = (NH_ + 2 * KVH_) * HS_;
  Arena& s = *ctx.scratch;

  // Output projection (and hidden dropout).
  Tensor dout = s.alloc(DType::F32, {N, NH_ * HS_});
  out_.backward(ctx, DropoutSite::kAttentionOut, dresidual, st.out_c, w.wo, dout, g.wo, g.bo);

  // Attention, then undo RoPE on the q and k gradients (rotation by -theta).
  Tensor dqkv = s.alloc(DType::F32, {N, QKV});
  kernels::attention_backward(dims(ctx, st.segment_ids), st.qkv, st.out, st.lse, dout, dqkv);
  positions_->unrotate(dqkv, NH_ + KVH_, ctx.positions);

  // Fused q/k/v projection.
  return qkv_.backward(ctx, dqkv, st.h_c, w.wqkv, g.wqkv, g.bqkv);
}

}  // namespace ascent
