#include "model/layers/block.h"

#include "kernels/kernels.h"

namespace ascent {

TransformerBlock::TransformerBlock(const ModelConfig& cfg, const tp::Regions& regions)
    : norm_(cfg.norm, cfg.norm_eps), attention_(cfg, regions), mlp_(cfg, regions) {}

Tensor TransformerBlock::forward(const LayerContext& ctx, const Tensor& x, const BlockParams& m,
                                 const BlockParams& c, BlockStash* st,
                                 const int32_t* segment_ids) const {
  Arena& stash = *ctx.stash;
  const int64_t R = ctx.rows(), C = x.size(-1);
  const Arena::Mark mark = ctx.scratch->mark();

  Tensor h1 = attention_.input_projection().alloc_input(ctx, C);  // [rows, C]
  norm_.forward(x, m.norm1_w, m.norm1_b, h1, &st->norm1, stash);
  st->x_mid = stash.alloc(DType::F32, {R, C});
  kernels::copy(x, st->x_mid);
  attention_.forward(ctx, h1, c, m, st->x_mid, &st->attn, segment_ids);
  ctx.scratch->rewind(mark);

  Tensor h2 = mlp_.input_projection().alloc_input(ctx, C);  // [rows, C]
  norm_.forward(st->x_mid, m.norm2_w, m.norm2_b, h2, &st->norm2, stash);
  Tensor out = stash.alloc(DType::F32, {R, C});
  kernels::copy(st->x_mid, out);
  mlp_.forward(ctx, h2, c, m, out, &st->mlp);
  ctx.scratch->rewind(mark);
  return out;
}

void TransformerBlock::backward(const LayerContext& ctx, const Tensor& dx, const BlockParams& m,
                                const BlockParams& c, const BlockStash& st,
                                const BlockParams& g) const {
  const Arena::Mark mark = ctx.scratch->mark();
  // dx holds d loss / d output; it flows unchanged through the residual to x_mid.
  Tensor dh = mlp_.backward(ctx, dx, c, st.mlp, g);
  norm_.backward(dh, st.norm2, m.norm2_w, dx, g.norm2_w, g.norm2_b);
  ctx.scratch->rewind(mark);
  // dx now holds d loss / d x_mid.
  dh = attention_.backward(ctx, dx, c, st.attn, g);
  norm_.backward(dh, st.norm1, m.norm1_w, dx, g.norm1_w, g.norm1_b);
  ctx.scratch->rewind(mark);
}

}  // namespace ascent
