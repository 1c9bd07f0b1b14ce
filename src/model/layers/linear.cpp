#include "model/layers/linear.h"

#include "kernels/kernels.h"
#include "model/layers/context.h"

namespace ascent {

Tensor to_compute(const LayerContext& ctx, const Tensor& x, Arena& arena) {
  if (ctx.compute == x.dtype()) return x;
  Tensor c = arena.alloc(ctx.compute, {x.numel()});
  c = Tensor(c.data(), ctx.compute, x.shape(), x.ndim());
  kernels::cast(x, c);
  return c;
}

namespace linear {

void forward(const Tensor& x_c, const Tensor& w_c, const Tensor& b, const Tensor& y,
             bool accumulate) {
  kernels::matmul(x_c, false, w_c, true, y, accumulate);
  if (b.defined()) kernels::bias_forward(y, b);
}

void backward(const Tensor& dy, const Tensor& dy_c, const Tensor& x_c, const Tensor& w_c,
              const Tensor& dx, const Tensor& dw, const Tensor& db) {
  if (dx.defined()) kernels::matmul(dy_c, false, w_c, false, dx, false);  // [N,out]x[out,in]
  kernels::matmul(dy_c, true, x_c, false, dw, true);                      // [out,N]x[N,in]
  if (db.defined()) kernels::bias_backward(dy, db);
}

void residual_forward(const LayerContext& ctx, DropoutSite site, const Tensor& x_c,
                      const Tensor& w_c, const Tensor& b, const Tensor& residual) {
  const float p = ctx.dropout.hidden;
  if (p == 0.f && !ctx.tp.active()) {
    forward(x_c, w_c, b, residual, /*accumulate=*/true);
    return;
  }
  const int64_t N = ctx.N(), out = residual.size(-1), rows = ctx.rows();
  const Arena::Mark mark = ctx.scratch->mark();
  Tensor y = ctx.scratch->alloc(DType::F32, {N, out});
  forward(x_c, w_c, Tensor(), y);
  if (ctx.tp.sp()) {
    Tensor mine = ctx.scratch->alloc(DType::F32, {rows, out});
    ctx.tp.group->reduce_scatter_sum(y.f32(), mine.f32(), rows * out);
    y = mine;
  } else if (ctx.tp.active()) {
    ctx.tp.group->all_reduce_sum(y.f32(), N * out);
  }
  if (b.defined()) kernels::bias_forward(y, b);
  if (p == 0.f) {
    kernels::add_inplace(residual, y);
  } else {
    kernels::dropout_add_forward(y, p, ctx.dropout.seed, ctx.dropout.stream(site), residual,
                                 static_cast<uint64_t>(ctx.row_begin() * out));
  }
  ctx.scratch->rewind(mark);
}

void residual_backward(const LayerContext& ctx, DropoutSite site, const Tensor& dresidual,
                       const Tensor& x_c, const Tensor& w_c, const Tensor& dx, const Tensor& dw,
                       const Tensor& db) {
  Arena& s = *ctx.scratch;
  const Arena::Mark mark = s.mark();
  const int64_t out = dresidual.size(-1);
  Tensor dy = dresidual;
  const float p = ctx.dropout.hidden;
  if (p > 0.f) {
    dy = s.alloc(DType::F32, {dresidual.size(0), out});
    kernels::dropout_backward(dresidual, p, ctx.dropout.seed, ctx.dropout.stream(site), dy,
                              static_cast<uint64_t>(ctx.row_begin() * out));
  }
  if (ctx.tp.sp()) {
    if (db.defined()) kernels::bias_backward(dy, db);
    Tensor all = s.alloc(DType::F32, {ctx.N(), out});
    ctx.tp.group->all_gather(dy.f32(), dy.numel(), all.f32());
    backward(all, to_compute(ctx, all, s), x_c, w_c, dx, dw, Tensor());
  } else {
    backward(dy, to_compute(ctx, dy, s), x_c, w_c, dx, dw, db);
  }
  s.rewind(mark);
}

}  // namespace linear
}  // namespace ascent
