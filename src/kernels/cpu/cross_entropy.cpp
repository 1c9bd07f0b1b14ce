// Softmax cross-entropy with optional z-loss (PaLM): loss = lse - x[target] + z * lse^2.
// The logits of a row ([V] up to ~10^5) are read once for the log-sum-exp and once more in the
// backward, which writes the gradient in place.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/math.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

using cpu::exp_approx;

// Logits per block: small enough to stay in L1 between the max and the sum of exps.
constexpr int64_t kBlock = 1024;

// log(sum(exp(x))) with an online max: per block, the block max (exact) rescales the running sum
// at most once, then the block's exps are summed while the block is still in cache.
ASCENT_VECTORIZE float row_lse(const float* x, int64_t V) {
  float m = -std::numeric_limits<float>::infinity();
  float s = 0.f;
  for (int64_t b = 0; b < V; b += kBlock) {
    const int64_t e = std::min(V, b + kBlock);
    float bm = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : bm)
    for (int64_t i = b; i < e; ++i) bm = std::max(bm, x[i]);
    if (bm > m) {
      s *= exp_approx(m - bm);
      m = bm;
    }
    float bs = 0.f;
#pragma omp simd reduction(+ : bs)
    for (int64_t i = b; i < e; ++i) bs += exp_approx(x[i] - m);
    s += bs;
  }
  return m + std::log(s);
}

// dx = scale * (softmax(x) * (1 + 2 z lse) - onehot(t)). dx may alias x.
ASCENT_VECTORIZE void row_backward(const float* x, int32_t t, float lse, float z, float scale,
                                   float* dx, int64_t V) {
  const float k = scale * (1.f + 2.f * z * lse);
#pragma omp simd
  for (int64_t i = 0; i < V; ++i) dx[i] = k * exp_approx(x[i] - lse);
  dx[t] -= scale;
}

ASCENT_VECTORIZE void zero_row(float* dx, int64_t V) {
  for (int64_t i = 0; i < V; ++i) dx[i] = 0.f;
}

void check_targets(const int32_t* targets, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; ++n)
    ASCENT_CHECK(targets[n] == kIgnoreIndex || (targets[n] >= 0 && targets[n] < V))
        << "cross_entropy: target " << targets[n] << " at row " << n << " outside [0, " << V << ")";
}

}  // namespace

// Ignored rows get loss 0 and lse 0 (their logits are not read).
void cross_entropy_forward(const Tensor& logits, const int32_t* targets, float z_loss,
                           const Tensor& losses, const Tensor& lse) {
  ASCENT_CHECK(logits.ndim() == 2) << "cross_entropy_forward: logits " << logits.shape_str();
  const int64_t N = logits.size(0), V = logits.size(1);
  ASCENT_CHECK(losses.numel() == N && lse.numel() == N)
      << "cross_entropy_forward: logits " << logits.shape_str() << " losses " << losses.shape_str()
      << " lse " << lse.shape_str();
  check_targets(targets, N, V);
  const float* px = logits.f32();
  float *pl = losses.f32(), *plse = lse.f32();
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) {
    if (targets[n] == kIgnoreIndex) {
      pl[n] = plse[n] = 0.f;
      continue;
    }
    const float* x = px + n * V;
    const float l = row_lse(x, V);
    plse[n] = l;
    pl[n] = l - x[targets[n]] + z_loss * l * l;
  }
}

void cross_entropy_backward(const Tensor& logits, const int32_t* targets, const Tensor& lse,
                            float z_loss, float grad_scale, const Tensor& dlogits) {
  ASCENT_CHECK(logits.ndim() == 2 && dlogits.same_shape(logits))
      << "cross_entropy_backward: logits " << logits.shape_str() << " dlogits "
      << dlogits.shape_str();
  const int64_t N = logits.size(0), V = logits.size(1);
  ASCENT_CHECK(lse.numel() == N) << "cross_entropy_backward: lse " << lse.shape_str();
  check_targets(targets, N, V);
  const float *px = logits.f32(), *plse = lse.f32();
  float* pd = dlogits.f32();
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) {
    if (targets[n] == kIgnoreIndex)
      zero_row(pd + n * V, V);
    else
      row_backward(px + n * V, targets[n], plse[n], z_loss, grad_scale, pd + n * V, V);
  }
}

void cross_entropy_forward_backward(const Tensor& logits, const int32_t* targets, float z_loss,
                                    float grad_scale, const Tensor& losses) {
  ASCENT_CHECK(logits.ndim() == 2)
      << "cross_entropy_forward_backward: logits " << logits.shape_str();
  const int64_t N = logits.size(0), V = logits.size(1);
  ASCENT_CHECK(losses.numel() == N)
      << "cross_entropy_forward_backward: losses " << losses.shape_str();
  check_targets(targets, N, V);
  float* px = logits.f32();
  float* pl = losses.f32();
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) {
    float* x = px + n * V;
    if (targets[n] == kIgnoreIndex) {
      pl[n] = 0.f;
      zero_row(x, V);
      continue;
    }
    const float l = row_lse(x, V);
    pl[n] = l - x[targets[n]] + z_loss * l * l;
    row_backward(x, targets[n], l, z_loss, grad_scale, x, V);
  }
}

MaskedSum masked_sum(const Tensor& losses, const int32_t* targets) {
  MaskedSum total;
  const float* l = losses.f32();
  for (int64_t i = 0; i < losses.numel(); ++i) {
    if (targets[i] == kIgnoreIndex) continue;
    total.sum += l[i];
    ++total.count;
  }
  return total;
}

int64_t find_out_of_range(const int32_t* ids, int64_t n, int64_t lo, int64_t hi) {
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < lo || ids[i] >= hi) return i;
  return -1;
}

}  // namespace ascent::kernels::cpu
