#pragma once
// Linear projection y = x W^T (+ b), the HF nn.Linear convention (W is [out, in]), and the
// output projection of a sub-layer into the residual stream with hidden dropout.
#include "core/tensor.h"
#include "model/layers/context.h"

namespace ascent::linear {

// y (= or += when accumulate) [N, out] = x_c [N, in] * w_c^T [in, out]  (+ b [out] when defined).
// x_c and w_c share the compute dtype; y is f32.
void forward(const Tensor& x_c, const Tensor& w_c, const Tensor& b, const Tensor& y,
             bool accumulate = false);

// Gradient convention: dx (=) when defined; dw (+=); db (+=) when defined.
//   dy   [N, out] f32 gradient,   dy_c: the same in compute dtype (== dy in f32)
//   x_c  [N, in]  forward input in compute dtype, w_c [out, in] compute weights.
void backward(const Tensor& dy, const Tensor& dy_c, const Tensor& x_c, const Tensor& w_c,
              const Tensor& dx, const Tensor& dw, const Tensor& db);

// residual [rows, out] (+=) dropout(x_c w_c^T + b), Megatron's bias-dropout-add, with probability
// ctx.dropout.hidden and the mask stream of (ctx.dropout.layer, site). Row-parallel under TP:
// x_c [N, in/tp] and w_c [out, in/tp] are this rank's slices, the partial products are summed
// over the group (all-reduce, or reduce-scatter to this rank's rows with sequence parallelism)
// before the bias (replicated) and the dropout. Without TP and dropout the projection accumulates
// straight into residual (no temporary, no RNG work).
void residual_forward(const LayerContext& ctx, DropoutSite site, const Tensor& x_c,
                      const Tensor& w_c, const Tensor& b, const Tensor& residual);
// Backward of residual_forward for dresidual [rows, out] (read only): the projection sees
// dresidual * M / (1 - p) (all-gathered over the group with sequence parallelism). dx (=) when
// defined, dw (+=), db (+=) when defined (with sequence parallelism from this rank's rows only:
// the caller sums replicated gradients over the group). Temporaries in ctx.scratch (rewound).
void residual_backward(const LayerContext& ctx, DropoutSite site, const Tensor& dresidual,
                       const Tensor& x_c, const Tensor& w_c, const Tensor& dx, const Tensor& dw,
                       const Tensor& db);

}  // namespace ascent::linear
