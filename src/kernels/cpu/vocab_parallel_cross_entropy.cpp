// Vocabulary-parallel softmax cross-entropy: each rank holds a slice of the vocabulary's logits;
// the row max and the sums are reduced across ranks by the caller between the passes, so no
// rank ever holds a whole row (Megatron's vocab_parallel_cross_entropy, with PaLM's z-loss).
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/math.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

using cpu::exp_approx;

void check_shapes(const char* op, const Tensor& logits, int64_t valid, const Tensor& per_row,
                  int64_t rows_per_n) {
  ASCENT_CHECK(logits.ndim() == 2 && logits.dtype() == DType::F32)
      << op << ": logits " << logits.shape_str();
  ASCENT_CHECK(valid >= 0 && valid <= logits.size(1))
      << op << ": " << valid << " valid columns of " << logits.shape_str();
  ASCENT_CHECK(per_row.numel() == rows_per_n * logits.size(0))
      << op << ": logits " << logits.shape_str() << " with " << per_row.shape_str();
}

ASCENT_VECTORIZE float row_max(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

ASCENT_VECTORIZE float row_sum_exp(const float* x, float m, int64_t n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += exp_approx(x[i] - m);
  return s;
}

ASCENT_VECTORIZE void row_grad(const float* x, float lse, float k, float* dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dx[i] = k * exp_approx(x[i] - lse);
}

// The target's column on this rank, or -1 (ignored row, or another rank's id).
int64_t local_target(int32_t t, int64_t first, int64_t valid) {
  if (t == kIgnoreIndex) return -1;
  const int64_t c = static_cast<int64_t>(t) - first;
  return c >= 0 && c < valid ? c : -1;
}

}  // namespace

void vocab_parallel_ce_max(const Tensor& logits, int64_t valid, const Tensor& max) {
  check_shapes("vocab_parallel_ce_max", logits, valid, max, 1);
  const int64_t N = logits.size(0), V = logits.size(1);
  const float* px = logits.f32();
  float* pm = max.f32();
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) pm[n] = row_max(px + n * V, valid);
}

void vocab_parallel_ce_sums(const Tensor& logits, const int32_t* targets, int64_t first,
                            int64_t valid, const Tensor& max, const Tensor& sums) {
  check_shapes("vocab_parallel_ce_sums", logits, valid, sums, 2);
  const int64_t N = logits.size(0), V = logits.size(1);
  const float* px = logits.f32();
  const float* pm = max.f32();
  float* ps = sums.f32();
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) {
    const float* x = px + n * V;
    ps[n] = targets[n] == kIgnoreIndex ? 0.f : row_sum_exp(x, pm[n], valid);
    const int64_t c = local_target(targets[n], first, valid);
    ps[N + n] = c >= 0 ? x[c] : 0.f;
  }
}

void vocab_parallel_ce_finish(const Tensor& logits, const int32_t* targets, int64_t first,
                              int64_t valid, const Tensor& max, const Tensor& sums, float z_loss,
                              float grad_scale, const Tensor& losses, const Tensor& dlogits) {
  check_shapes("vocab_parallel_ce_finish", logits, valid, losses, 1);
  const int64_t N = logits.size(0), V = logits.size(1);
  if (dlogits.defined())
    ASCENT_CHECK(dlogits.numel() == logits.numel())
        << "vocab_parallel_ce_finish: dlogits " << dlogits.shape_str();
  const float* px = logits.f32();
  const float* pm = max.f32();
  const float* ps = sums.f32();
  float* pl = losses.f32();
  float* pd = dlogits.defined() ? dlogits.f32() : nullptr;
#pragma omp parallel for schedule(static) if (N * V > 32768)
  for (int64_t n = 0; n < N; ++n) {
    const bool ignored = targets[n] == kIgnoreIndex;
    const float lse = ignored ? 0.f : pm[n] + std::log(ps[n]);
    pl[n] = ignored ? 0.f : lse - ps[N + n] + z_loss * lse * lse;
    if (!pd) continue;
    float* dx = pd + n * V;
    if (ignored) {
      std::fill(dx, dx + V, 0.f);
      continue;
    }
    row_grad(px + n * V, lse, grad_scale * (1.f + 2.f * z_loss * lse), dx, valid);
    std::fill(dx + valid, dx + V, 0.f);
    const int64_t c = local_target(targets[n], first, valid);
    if (c >= 0) dx[c] -= grad_scale;
  }
}

}  // namespace ascent::kernels::cpu
