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

}  // namespace linear
}  // namespace ascent
