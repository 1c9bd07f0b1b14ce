// Row normalisations: RMSNorm, LayerNorm and the row-wise L2 normalisation of Baichuan2's
// NormHead. Tensors are [N, C] (any leading dims flatten into N); statistics are computed in
// float with vectorized reductions.
//
// Backward passes reduce dw / db over rows through partial sums over fixed chunks of kRowChunk
// rows, added in chunk order: the result is the same for any thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

constexpr int64_t kRowChunk = 16;

// ---------------------------------------------------------------- per-row workers
ASCENT_VECTORIZE float rmsnorm_row(const float* x, const float* w, float eps, float* y, int64_t C) {
  float ss = 0.f;
#pragma omp simd reduction(+ : ss)
  for (int64_t j = 0; j < C; ++j) ss += x[j] * x[j];
  const float rstd = 1.f / std::sqrt(ss / static_cast<float>(C) + eps);
  for (int64_t j = 0; j < C; ++j) y[j] = x[j] * rstd * w[j];
  return rstd;
}

// dx += rstd * (g - xhat * <g, xhat> / C) with g = dy * w, xhat = x * rstd;  dw_part += dy * xhat
ASCENT_VECTORIZE void rmsnorm_backward_row(const float* dy, const float* x, const float* w,
                                           float rstd, float* dx, float* dw_part, int64_t C) {
  float dot = 0.f;
#pragma omp simd reduction(+ : dot)
  for (int64_t j = 0; j < C; ++j) dot += dy[j] * w[j] * x[j];
  const float k = dot * rstd * rstd / static_cast<float>(C);  // <g, xhat> / C / rstd
  for (int64_t j = 0; j < C; ++j) {
    dx[j] += rstd * (dy[j] * w[j] - x[j] * k);
    dw_part[j] += dy[j] * x[j] * rstd;
  }
}

ASCENT_VECTORIZE void layernorm_row(const float* x, const float* w, const float* b, float eps,
                                    float* y, int64_t C, float* mean_out, float* rstd_out) {
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < C; ++j) sum += x[j];
  const float mean = sum / static_cast<float>(C);
  float var = 0.f;
#pragma omp simd reduction(+ : var)
  for (int64_t j = 0; j < C; ++j) var += (x[j] - mean) * (x[j] - mean);
  const float rstd = 1.f / std::sqrt(var / static_cast<float>(C) + eps);
  for (int64_t j = 0; j < C; ++j) y[j] = (x[j] - mean) * rstd * w[j] + b[j];
  *mean_out = mean;
  *rstd_out = rstd;
}

// dx += rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w;  dw_part += dy * xhat;
// db_part += dy
ASCENT_VECTORIZE void layernorm_backward_row(const float* dy, const float* x, const float* w,
                                             float mean, float rstd, float* dx, float* dw_part,
                                             float* db_part, int64_t C) {
  float sum_g = 0.f, sum_gx = 0.f;
#pragma omp simd reduction(+ : sum_g, sum_gx)
  for (int64_t j = 0; j < C; ++j) {
    const float g = dy[j] * w[j];
    sum_g += g;
    sum_gx += g * (x[j] - mean) * rstd;
  }
  const float mg = sum_g / static_cast<float>(C), mgx = sum_gx / static_cast<float>(C);
  for (int64_t j = 0; j < C; ++j) {
    const float xhat = (x[j] - mean) * rstd;
    dx[j] += rstd * (dy[j] * w[j] - mg - xhat * mgx);
    dw_part[j] += dy[j] * xhat;
    db_part[j] += dy[j];
  }
}

// Same formula as torch.nn.functional.normalize: w / max(||w||, 1e-12).
ASCENT_VECTORIZE float l2norm_row(const float* w, float* y, int64_t C) {
  float ss = 0.f;
#pragma omp simd reduction(+ : ss)
  for (int64_t j = 0; j < C; ++j) ss += w[j] * w[j];
  const float norm = std::max(std::sqrt(ss), 1e-12f);
  for (int64_t j = 0; j < C; ++j) y[j] = w[j] / norm;
  return norm;
}

ASCENT_VECTORIZE void l2norm_backward_row(const float* dy, const float* y, float norm, float* dw,
                                          int64_t C) {
  float dot = 0.f;
#pragma omp simd reduction(+ : dot)
  for (int64_t j = 0; j < C; ++j) dot += dy[j] * y[j];
  for (int64_t j = 0; j < C; ++j) dw[j] += (dy[j] - y[j] * dot) / norm;
}

// dst[j] += sum over chunks c (in order) of partials[c * C + j]. Clobbers partials.
ASCENT_VECTORIZE void reduce_chunks(float* partials, int64_t chunks, int64_t C, float* dst) {
  for (int64_t c = 1; c < chunks; ++c)
    for (int64_t j = 0; j < C; ++j) partials[j] += partials[c * C + j];
  for (int64_t j = 0; j < C; ++j) dst[j] += partials[j];
}

// ---------------------------------------------------------------- shape checks
struct Rows {
  int64_t N, C;
};

Rows row_shape(const Tensor& x, const char* op) {
  ASCENT_CHECK(x.ndim() >= 1 && x.dtype() == DType::F32) << op << ": x " << x.shape_str();
  const int64_t C = x.size(-1);
  return {C ? x.numel() / C : 0, C};
}

void check_vec(const Tensor& t, int64_t n, const char* op, const char* name) {
  ASCENT_CHECK(t.numel() == n) << op << ": " << name << " " << t.shape_str() << ", want " << n
                               << " elements";
}

void check_same(const Tensor& a, const Tensor& b, const char* op) {
  ASCENT_CHECK(a.numel() == b.numel())
      << op << ": shapes " << a.shape_str() << " and " << b.shape_str() << " differ";
}

int64_t chunk_count(int64_t N) { return (N + kRowChunk - 1) / kRowChunk; }

}  // namespace

void rmsnorm_forward(const Tensor& x, const Tensor& w, float eps, const Tensor& y,
                     const Tensor& rstd) {
  const auto [N, C] = row_shape(x, "rmsnorm_forward");
  check_vec(w, C, "rmsnorm_forward", "w");
  check_vec(rstd, N, "rmsnorm_forward", "rstd");
  check_same(x, y, "rmsnorm_forward");
  const float *px = x.f32(), *pw = w.f32();
  float *py = y.f32(), *pr = rstd.f32();
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t n = 0; n < N; ++n) pr[n] = rmsnorm_row(px + n * C, pw, eps, py + n * C, C);
}

void rmsnorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& rstd,
                      const Tensor& dx, const Tensor& dw) {
  const auto [N, C] = row_shape(x, "rmsnorm_backward");
  check_vec(w, C, "rmsnorm_backward", "w");
  check_vec(dw, C, "rmsnorm_backward", "dw");
  check_vec(rstd, N, "rmsnorm_backward", "rstd");
  check_same(x, dy, "rmsnorm_backward");
  check_same(x, dx, "rmsnorm_backward");
  const float *pdy = dy.f32(), *px = x.f32(), *pw = w.f32(), *pr = rstd.f32();
  float* pdx = dx.f32();
  const int64_t chunks = chunk_count(N);
  std::vector<float> dw_part(static_cast<size_t>(std::max<int64_t>(chunks, 1) * C), 0.f);
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t c = 0; c < chunks; ++c) {
    for (int64_t n = c * kRowChunk; n < std::min(N, (c + 1) * kRowChunk); ++n)
      rmsnorm_backward_row(pdy + n * C, px + n * C, pw, pr[n], pdx + n * C, &dw_part[c * C], C);
  }
  reduce_chunks(dw_part.data(), chunks, C, dw.f32());
}

void layernorm_forward(const Tensor& x, const Tensor& w, const Tensor& b, float eps,
                       const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  const auto [N, C] = row_shape(x, "layernorm_forward");
  check_vec(w, C, "layernorm_forward", "w");
  check_vec(b, C, "layernorm_forward", "b");
  check_vec(mean, N, "layernorm_forward", "mean");
  check_vec(rstd, N, "layernorm_forward", "rstd");
  check_same(x, y, "layernorm_forward");
  const float *px = x.f32(), *pw = w.f32(), *pb = b.f32();
  float *py = y.f32(), *pm = mean.f32(), *pr = rstd.f32();
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t n = 0; n < N; ++n)
    layernorm_row(px + n * C, pw, pb, eps, py + n * C, C, pm + n, pr + n);
}

void layernorm_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& mean,
                        const Tensor& rstd, const Tensor& dx, const Tensor& dw, const Tensor& db) {
  const auto [N, C] = row_shape(x, "layernorm_backward");
  check_vec(w, C, "layernorm_backward", "w");
  check_vec(dw, C, "layernorm_backward", "dw");
  check_vec(db, C, "layernorm_backward", "db");
  check_vec(mean, N, "layernorm_backward", "mean");
  check_vec(rstd, N, "layernorm_backward", "rstd");
  check_same(x, dy, "layernorm_backward");
  check_same(x, dx, "layernorm_backward");
  const float *pdy = dy.f32(), *px = x.f32(), *pw = w.f32(), *pm = mean.f32(), *pr = rstd.f32();
  float* pdx = dx.f32();
  const int64_t chunks = chunk_count(N);
  const size_t part = static_cast<size_t>(std::max<int64_t>(chunks, 1) * C);
  std::vector<float> dw_part(part, 0.f), db_part(part, 0.f);
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t c = 0; c < chunks; ++c) {
    for (int64_t n = c * kRowChunk; n < std::min(N, (c + 1) * kRowChunk); ++n)
      layernorm_backward_row(pdy + n * C, px + n * C, pw, pm[n], pr[n], pdx + n * C,
                             &dw_part[c * C], &db_part[c * C], C);
  }
  reduce_chunks(dw_part.data(), chunks, C, dw.f32());
  reduce_chunks(db_part.data(), chunks, C, db.f32());
}

void l2norm_rows_forward(const Tensor& w, const Tensor& y, const Tensor& norm) {
  const auto [R, C] = row_shape(w, "l2norm_rows_forward");
  check_vec(norm, R, "l2norm_rows_forward", "norm");
  check_same(w, y, "l2norm_rows_forward");
  const float* pw = w.f32();
  float *py = y.f32(), *pn = norm.f32();
#pragma omp parallel for schedule(static) if (R * C > 32768)
  for (int64_t r = 0; r < R; ++r) pn[r] = l2norm_row(pw + r * C, py + r * C, C);
}

void l2norm_rows_backward(const Tensor& dy, const Tensor& y, const Tensor& norm, const Tensor& dw) {
  const auto [R, C] = row_shape(y, "l2norm_rows_backward");
  check_vec(norm, R, "l2norm_rows_backward", "norm");
  check_same(y, dy, "l2norm_rows_backward");
  check_same(y, dw, "l2norm_rows_backward");
  const float *pdy = dy.f32(), *py = y.f32(), *pn = norm.f32();
  float* pdw = dw.f32();
#pragma omp parallel for schedule(static) if (R * C > 32768)
  for (int64_t r = 0; r < R; ++r)
    l2norm_backward_row(pdy + r * C, py + r * C, pn[r], pdw + r * C, C);
}

}  // namespace ascent::kernels::cpu
