#include "model/layers/parallel_linear.h"

#include "kernels/kernels.h"
#include "model/layers/linear.h"

namespace ascent::tp {

Tensor ColumnParallelLinear::alloc_input(const LayerContext& ctx, int64_t in) const {
  return regions_->column_input_arena(ctx).alloc(DType::F32, {ctx.rows(), in});
}

Tensor ColumnParallelLinear::gather_input(const LayerContext& ctx, const Tensor& x) const {
  // In f32 the gathered rows are the operand itself: kept in the stash.
  Arena& gathered = ctx.compute == DType::F32 ? *ctx.stash : *ctx.scratch;
  return to_compute(ctx, regions_->gather_rows(x, gathered), *ctx.stash);
}

Tensor ColumnParallelLinear::reduce_input_grad(const LayerContext& ctx, const Tensor& dx) const {
  return regions_->reduce_rows(dx, *ctx.scratch);
}

Tensor ColumnParallelLinear::forward(const LayerContext& ctx, const Tensor& x, const Tensor& w_c,
                                     const Tensor& b, const Tensor& y) const {
  Tensor x_c = gather_input(ctx, x);
  linear::forward(x_c, w_c, b, y);
  return x_c;
}

Tensor ColumnParallelLinear::backward(const LayerContext& ctx, const Tensor& dy, const Tensor& x_c,
                                      const Tensor& w_c, const Tensor& dw, const Tensor& db) const {
  Arena& s = *ctx.scratch;
  Tensor dy_c = to_compute(ctx, dy, s);
  Tensor dx = s.alloc(DType::F32, {ctx.N(), x_c.size(-1)});
  linear::backward(dy, dy_c, x_c, w_c, dx, dw, db);
  return reduce_input_grad(ctx, dx);
}

namespace {

// The sum of the partial products (a temporary), then the bias and the dropout into residual.
void forward_summed(const Regions& regions, const LayerContext& ctx, DropoutSite site,
                    const Tensor& x_c, const Tensor& w_c, const Tensor& b, const Tensor& residual) {
  const float p = ctx.dropout.hidden;
  const int64_t out = residual.size(-1);
  const Arena::Mark mark = ctx.scratch->mark();
  Tensor y = ctx.scratch->alloc(DType::F32, {ctx.N(), out});
  linear::forward(x_c, w_c, Tensor(), y);
  y = regions.reduce_rows(y, *ctx.scratch);
  if (b.defined()) kernels::bias_forward(y, b);
  if (p == 0.f) {
    kernels::add_inplace(residual, y);
  } else {
    kernels::dropout_add_forward(y, p, ctx.dropout.seed, ctx.dropout.stream(site), residual,
                                 static_cast<uint64_t>(ctx.row_begin() * out));
  }
  ctx.scratch->rewind(mark);
}

// One rank: the product is complete, so without dropout it accumulates straight into residual
// (no temporary, no RNG work).
void forward_whole(const Regions& regions, const LayerContext& ctx, DropoutSite site,
                   const Tensor& x_c, const Tensor& w_c, const Tensor& b, const Tensor& residual) {
  if (ctx.dropout.hidden == 0.f) {
    linear::forward(x_c, w_c, b, residual, /*accumulate=*/true);
    return;
  }
  forward_summed(regions, ctx, site, x_c, w_c, b, residual);
}

}  // namespace

RowParallelLinear::RowParallelLinear(const Regions& regions)
    : regions_(&regions), forward_(regions.splits_width() ? forward_summed : forward_whole) {}

void RowParallelLinear::backward(const LayerContext& ctx, DropoutSite site, const Tensor& dresidual,
                                 const Tensor& x_c, const Tensor& w_c, const Tensor& dx,
                                 const Tensor& dw, const Tensor& db) const {
  Arena& s = *ctx.scratch;
  const Arena::Mark mark = s.mark();
  const int64_t out = dresidual.size(-1);
  Tensor dy = dresidual;  // [rows, out]
  const float p = ctx.dropout.hidden;
  if (p > 0.f) {
    dy = s.alloc(DType::F32, {dresidual.size(0), out});
    kernels::dropout_backward(dresidual, p, ctx.dropout.seed, ctx.dropout.stream(site), dy,
                              static_cast<uint64_t>(ctx.row_begin() * out));
  }
  Tensor all = regions_->gather_rows(dy, s);  // [N, out]
  linear::backward(all, to_compute(ctx, all, s), x_c, w_c, dx, dw, Tensor());
  // The bias is replicated: its gradient comes from this rank's rows.
  if (db.defined()) kernels::bias_backward(dy, db);
  s.rewind(mark);
}

}  // namespace ascent::tp
