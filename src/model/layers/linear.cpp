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
  if (p == 0.f) {
    forward(x_c, w_c, b, residual, /*accumulate=*/true);
    return;
  }
  const Arena::Mark mark = ctx.scratch->mark();
  Tensor y = ctx.scratch->alloc(DType::F32, {residual.size(0), residual.size(-1)});
  forward(x_c, w_c, b, y);
  kernels::dropout_add_forward(y, p, ctx.dropout.seed, ctx.dropout.stream(site), residual);
  ctx.scratch->rewind(mark);
}

void residual_backward(const LayerContext& ctx, DropoutSite site, const Tensor& dresidual,
                       const Tensor& x_c, const Tensor& w_c, const Tensor& dx, const Tensor& dw,
                       const Tensor& db) {
  Arena& s = *ctx.scratch;
  const Arena::Mark mark = s.mark();
  Tensor dy = dresidual;
  const float p = ctx.dropout.hidden;
  if (p > 0.f) {
    dy = s.alloc(DType::F32, {dresidual.size(0), dresidual.size(-1)});
    kernels::dropout_backward(dresidual, p, ctx.dropout.seed, ctx.dropout.stream(site), dy);
  }
  backward(dy, to_compute(ctx, dy, s), x_c, w_c, dx, dw, db);
  s.rewind(mark);
}

}  // namespace linear
}  // namespace ascent
