// Optimizer updates over flat f32 buffers, and the deterministic sum of squares used for the
// gradient norm. AdamW and SGD follow torch.optim's single-tensor code path operation by
// operation, so a step here rounds like a step in PyTorch.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

// Elements per parallel block; also the fixed chunk of sum_squares (its results depend on it).
constexpr size_t kChunk = 4096;

struct AdamWScalars {
  float decay;   // 1 - lr * wd
  float lerp_w;  // 1 - beta1
  float beta2;
  float one_minus_beta2;
  float bc2_sqrt;  // sqrt(1 - beta2^t)
  float neg_step;  // -lr / (1 - beta1^t)
  float eps;
  float grad_scale;
};

// torch: p.mul_(1 - lr*wd); m.lerp_(g, 1 - b1); v.mul_(b2).addcmul_(g, g, 1 - b2);
//        denom = v.sqrt() / sqrt(bc2) + eps; p.addcdiv_(m, denom, -lr / bc1)
// lerp rounds like torch's CPU kernel for weights < 0.5 (m + w * (g - m)).
ASCENT_VECTORIZE void adamw_block(const AdamWScalars s, float* p, const float* g, float* m,
                                  float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i] * s.grad_scale;
    const float pi = p[i] * s.decay;
    const float mi = m[i] + s.lerp_w * (gi - m[i]);
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * gi * gi;
    const float denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    p[i] = pi + s.neg_step * mi / denom;
    m[i] = mi;
    v[i] = vi;
  }
}

// torch's lerp for weights >= 0.5: g - (g - m) * (1 - w)
ASCENT_VECTORIZE void adamw_block_high_lerp(const AdamWScalars s, float* p, const float* g,
                                            float* m, float* v, size_t n) {
  const float one_minus_w = 1.f - s.lerp_w;
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i] * s.grad_scale;
    const float pi = p[i] * s.decay;
    const float mi = gi - (gi - m[i]) * one_minus_w;
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * gi * gi;
    const float denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    p[i] = pi + s.neg_step * mi / denom;
    m[i] = mi;
    v[i] = vi;
  }
}

// torch.optim.SGD (dampening 0, no Nesterov): d = g + wd * p; buf = momentum * buf + d; p -=
// lr*buf. A zeroed buffer makes the first step equal torch's buf = clone(d).
ASCENT_VECTORIZE void sgd_block(float lr, float momentum, float wd, float grad_scale, float* p,
                                const float* g, float* buf, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float d = g[i] * grad_scale + wd * p[i];
    if (buf) {
      d = buf[i] * momentum + d;
      buf[i] = d;
    }
    p[i] = p[i] + -lr * d;
  }
}

ASCENT_VECTORIZE double chunk_sum_squares(const float* x, size_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return s;
}

size_t chunk_count(size_t n) { return (n + kChunk - 1) / kChunk; }

void check_f32_like(const Tensor& t, const Tensor& like, const char* op, const char* name) {
  ASCENT_CHECK(t.dtype() == DType::F32 && t.numel() == like.numel())
      << op << ": " << name << " is " << dtype_name(t.dtype()) << t.shape_str() << ", want f32 of "
      << like.numel() << " elements";
}

}  // namespace

void adamw_step(const AdamWArgs& a, const Tensor& pt, const Tensor& gt, const Tensor& mt,
                const Tensor& vt) {
  ASCENT_CHECK(a.step >= 1) << "adamw_step: step " << a.step << " (1-based)";
  check_f32_like(pt, pt, "adamw_step", "p");
  check_f32_like(gt, pt, "adamw_step", "g");
  check_f32_like(mt, pt, "adamw_step", "m");
  check_f32_like(vt, pt, "adamw_step", "v");
  float *p = pt.f32(), *m = mt.f32(), *v = vt.f32();
  const float* g = gt.f32();
  const size_t n = static_cast<size_t>(pt.numel());
  // Python-side scalars in torch are doubles; they meet the f32 tensors as f32.
  const double bc1 = 1.0 - std::pow(static_cast<double>(a.beta1), static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(a.beta2), static_cast<double>(a.step));
  AdamWScalars s;
  s.decay = static_cast<float>(1.0 - static_cast<double>(a.lr) * a.weight_decay);
  s.lerp_w = static_cast<float>(1.0 - static_cast<double>(a.beta1));
  s.beta2 = a.beta2;
  s.one_minus_beta2 = static_cast<float>(1.0 - static_cast<double>(a.beta2));
  s.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  s.neg_step = static_cast<float>(-(static_cast<double>(a.lr) / bc1));
  s.eps = a.eps;
  s.grad_scale = a.grad_scale;
  const bool low = s.lerp_w < 0.5f;
  const size_t chunks = chunk_count(n);
#pragma omp parallel for schedule(static) if (chunks > 4)
  for (size_t c = 0; c < chunks; ++c) {
    const size_t b = c * kChunk, len = std::min(kChunk, n - b);
    if (low)
      adamw_block(s, p + b, g + b, m + b, v + b, len);
    else
      adamw_block_high_lerp(s, p + b, g + b, m + b, v + b, len);
  }
}

void sgd_step(float lr, float momentum, float weight_decay, float grad_scale, const Tensor& pt,
              const Tensor& gt, const Tensor& momentum_buf) {
  ASCENT_CHECK(momentum <= 0.f || momentum_buf.defined()) << "sgd_step: momentum needs a buffer";
  check_f32_like(pt, pt, "sgd_step", "p");
  check_f32_like(gt, pt, "sgd_step", "g");
  if (momentum > 0.f) check_f32_like(momentum_buf, pt, "sgd_step", "momentum_buf");
  float* p = pt.f32();
  const float* g = gt.f32();
  float* buf = momentum > 0.f ? momentum_buf.f32() : nullptr;
  const size_t n = static_cast<size_t>(pt.numel());
  const size_t chunks = chunk_count(n);
#pragma omp parallel for schedule(static) if (chunks > 4)
  for (size_t c = 0; c < chunks; ++c) {
    const size_t b = c * kChunk, len = std::min(kChunk, n - b);
    sgd_block(lr, momentum, weight_decay, grad_scale, p + b, g + b, buf ? buf + b : nullptr, len);
  }
}

// Partial sums over fixed chunks, added in chunk order: the same bits for any thread count.
double sum_squares(const Tensor& xt) {
  ASCENT_CHECK(xt.dtype() == DType::F32) << "sum_squares: x is " << dtype_name(xt.dtype());
  const float* x = xt.f32();
  const size_t n = static_cast<size_t>(xt.numel());
  const size_t chunks = chunk_count(n);
  std::vector<double> partial(chunks);
#pragma omp parallel for schedule(static) if (chunks > 4)
  for (size_t c = 0; c < chunks; ++c)
    partial[c] = chunk_sum_squares(x + c * kChunk, std::min(kChunk, n - c * kChunk));
  double total = 0.0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace ascent::kernels::cpu
