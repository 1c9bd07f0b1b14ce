#pragma once
// Linear projection y = x W^T (+ b), the HF nn.Linear convention (W is [out, in]). The
// tensor-parallel projections built on it are in model/layers/parallel_linear.h.
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

}  // namespace ascent::linear
