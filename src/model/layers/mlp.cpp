#include "model/layers/mlp.h"

#include "kernels/kernels.h"
#include "model/layers/linear.h"

namespace ascent {

Mlp::Mlp(const ModelConfig& cfg, const tp::Regions& regions)
    : F_(cfg.ffn_hidden_size / regions.size()),
      in_rows_(cfg.mlp_in_rows() / regions.size()),
      in_(regions),
      out_(regions) {
  if (cfg.mlp == MlpType::SwiGLU) {
    act_forward_ = kernels::swiglu_forward;
    act_backward_ = kernels::swiglu_backward;
  } else {
    act_forward_ = kernels::gelu_forward;
    act_backward_ = kernels::gelu_backward;
  }
}

void Mlp::forward(const LayerContext& ctx, const Tensor& h, const BlockParams& w,
                  const BlockParams& m, const Tensor& residual, MlpStash* st) const {
  const int64_t N = ctx.N();
  st->u = ctx.stash->alloc(DType::F32, {N, in_rows_});
  st->h_c = in_.forward(ctx, h, w.w_in, m.b_in, st->u);

  const Arena::Mark mark = ctx.scratch->mark();
  Tensor a = ctx.compute == DType::F32 ? ctx.stash->alloc(DType::F32, {N, F_})
                                       : ctx.scratch->alloc(DType::F32, {N, F_});
  act_forward_(st->u, a);
  st->a_c = to_compute(ctx, a, *ctx.stash);
  ctx.scratch->rewind(mark);

  out_.forward(ctx, DropoutSite::kMlpOut, st->a_c, w.w_out, m.b_out, residual);
}

Tensor Mlp::backward(const LayerContext& ctx, const Tensor& dresidual, const BlockParams& w,
                     const MlpStash& st, const BlockParams& g) const {
  const int64_t N = ctx.N();
  Arena& s = *ctx.scratch;
  Tensor da = s.alloc(DType::F32, {N, F_});
  out_.backward(ctx, DropoutSite::kMlpOut, dresidual, st.a_c, w.w_out, da, g.w_out, g.b_out);

  Tensor du = s.alloc(DType::F32, {N, in_rows_});
  act_backward_(da, st.u, du);
  return in_.backward(ctx, du, st.h_c, w.w_in, g.w_in, g.b_in);
}

}  // namespace ascent
