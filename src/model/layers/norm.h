#pragma once
// Normalisation layer: RMSNorm or LayerNorm, chosen once when the model is built (the two are
// different kernels; no flag is tested inside forward).
#include "core/arena.h"
#include "core/tensor.h"
#include "model/config.h"

namespace ascent {

struct NormStash {
  Tensor x;     // [N, C] input (a view; the owner keeps it alive until backward)
  Tensor mean;  // [N] (LayerNorm only)
  Tensor rstd;  // [N]
};

class Norm {
 public:
  Norm() = default;
  Norm(NormType type, float eps);

  // y [N, C] (=) = norm(x) * w (+ b). Allocates mean/rstd in `stash`.
  void forward(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y,
               NormStash* st, Arena& stash) const;
  // dx (+=), dw (+=), db (+=, LayerNorm).
  void backward(const Tensor& dy, const NormStash& st, const Tensor& w, const Tensor& dx,
                const Tensor& dw, const Tensor& db) const;

 private:
  using Forward = void (*)(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                           const Tensor& y, const NormStash& st);
  using Backward = void (*)(const Tensor& dy, const NormStash& st, const Tensor& w,
                            const Tensor& dx, const Tensor& dw, const Tensor& db);
  Forward forward_ = nullptr;
  Backward backward_ = nullptr;
  bool needs_mean_ = false;
  float eps_ = 1e-5f;
};

}  // namespace ascent
