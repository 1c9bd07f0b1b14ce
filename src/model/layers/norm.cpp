#include "model/layers/norm.h"

#include "kernels/kernels.h"

namespace ascent {
namespace {

void rms_forward(const Tensor& x, const Tensor& w, const Tensor&, float eps, const Tensor& y,
                 const NormStash& st) {
  kernels::rmsnorm_forward(x, w, eps, y, st.rstd);
}
void rms_backward(const Tensor& dy, const NormStash& st, const Tensor& w, const Tensor& dx,
                  const Tensor& dw, const Tensor&) {
  kernels::rmsnorm_backward(dy, st.x, w, st.rstd, dx, dw);
}
void ln_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps, const Tensor& y,
                const NormStash& st) {
  kernels::layernorm_forward(x, w, b, eps, y, st.mean, st.rstd);
}
void ln_backward(const Tensor& dy, const NormStash& st, const Tensor& w, const Tensor& dx,
                 const Tensor& dw, const Tensor& db) {
  kernels::layernorm_backward(dy, st.x, w, st.mean, st.rstd, dx, dw, db);
}

}  // namespace

Norm::Norm(NormType type, float eps) : eps_(eps) {
  if (type == NormType::RMSNorm) {
    forward_ = rms_forward;
    backward_ = rms_backward;
  } else {
    forward_ = ln_forward;
    backward_ = ln_backward;
    needs_mean_ = true;
  }
}

void Norm::forward(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y,
                   NormStash* st, Arena& stash) const {
  const int64_t N = x.size(0);
  st->x = x;
  st->rstd = stash.alloc(DType::F32, {N});
  if (needs_mean_) st->mean = stash.alloc(DType::F32, {N});
  forward_(x, w, b, eps_, y, *st);
}

void Norm::backward(const Tensor& dy, const NormStash& st, const Tensor& w, const Tensor& dx,
                    const Tensor& dw, const Tensor& db) const {
  backward_(dy, st, w, dx, dw, db);
}

}  // namespace ascent
