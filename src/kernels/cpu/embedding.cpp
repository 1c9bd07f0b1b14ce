// Token embedding lookup and its scatter-add backward.
#include <algorithm>
#include <numeric>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

void check_tokens(const int32_t* tokens, int64_t n, int64_t vocab) {
  for (int64_t i = 0; i < n; ++i)
    ASCENT_CHECK(tokens[i] >= 0 && tokens[i] < vocab)
        << "embedding: token " << tokens[i] << " at " << i << " outside [0, " << vocab << ")";
}

ASCENT_VECTORIZE void copy_row_bf16(const bf16_t* src, float* dst, int64_t c) {
  for (int64_t j = 0; j < c; ++j) dst[j] = bf16_to_f32(src[j]);
}
void copy_row_f16(const f16_t* src, float* dst, int64_t c) {
  for (int64_t j = 0; j < c; ++j) dst[j] = f16_to_f32(src[j]);
}

// Row r of a f32, bf16 or f16 table, widened to f32.
void copy_row(const Tensor& table, int64_t r, float* dst) {
  const int64_t C = table.size(1);
  if (table.dtype() == DType::BF16) {
    copy_row_bf16(table.bf16() + r * C, dst, C);
  } else if (table.dtype() == DType::F16) {
    copy_row_f16(table.f16() + r * C, dst, C);
  } else {
    std::copy(table.f32() + r * C, table.f32() + (r + 1) * C, dst);
  }
}

ASCENT_VECTORIZE void add_row(const float* src, float* dst, int64_t c) {
  for (int64_t j = 0; j < c; ++j) dst[j] += src[j];
}

}  // namespace

// table may be f32, bf16 or f16 (a compute copy); out is f32.
void embedding_forward(const int32_t* tokens, const Tensor& table, const Tensor& out) {
  const int64_t V = table.size(0), C = table.size(1), N = out.size(0);
  ASCENT_CHECK(table.ndim() == 2 && out.ndim() == 2 && out.size(1) == C)
      << "embedding_forward: table " << table.shape_str() << " out " << out.shape_str();
  check_tokens(tokens, N, V);
  float* po = out.f32();
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t n = 0; n < N; ++n) copy_row(table, tokens[n], po + n * C);
}

// Deterministic: rows are grouped by token (stable sort), and each table row is owned by one
// thread that adds its contributions in increasing n, so the result is independent of the thread
// count and there are no atomics.
void embedding_backward(const int32_t* tokens, const Tensor& dout, const Tensor& dtable) {
  const int64_t V = dtable.size(0), C = dtable.size(1), N = dout.size(0);
  ASCENT_CHECK(dtable.ndim() == 2 && dout.ndim() == 2 && dout.size(1) == C)
      << "embedding_backward: dout " << dout.shape_str() << " dtable " << dtable.shape_str();
  check_tokens(tokens, N, V);
  std::vector<int32_t> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [tokens](int32_t a, int32_t b) { return tokens[a] < tokens[b]; });
  std::vector<int64_t> group_start;  // offsets into order where a new token begins
  for (int64_t i = 0; i < N; ++i)
    if (i == 0 || tokens[order[i]] != tokens[order[i - 1]]) group_start.push_back(i);
  group_start.push_back(N);
  const int64_t groups = static_cast<int64_t>(group_start.size()) - 1;
  const float* pd = dout.f32();
  float* pt = dtable.f32();
#pragma omp parallel for schedule(dynamic, 16) if (N * C > 32768)
  for (int64_t g = 0; g < groups; ++g) {
    float* row = pt + tokens[order[group_start[g]]] * C;
    for (int64_t i = group_start[g]; i < group_start[g + 1]; ++i)
      add_row(pd + order[i] * C, row, C);
  }
}

void embedding_forward_range(const int32_t* tokens, int64_t first, const Tensor& table,
                             const Tensor& out) {
  const int64_t R = table.size(0), C = table.size(1), N = out.size(0);
  ASCENT_CHECK(table.ndim() == 2 && out.ndim() == 2 && out.size(1) == C)
      << "embedding_forward_range: table " << table.shape_str() << " out " << out.shape_str();
  float* po = out.f32();
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t n = 0; n < N; ++n) {
    ASCENT_CHECK(tokens[n] >= 0) << "embedding: token " << tokens[n] << " at " << n;
    const int64_t r = tokens[n] - first;
    float* dst = po + n * C;
    if (r < 0 || r >= R) {
      std::fill(dst, dst + C, 0.f);
    } else {
      copy_row(table, r, dst);
    }
  }
}

void embedding_backward_range(const int32_t* tokens, int64_t first, const Tensor& dout,
                              const Tensor& dtable) {
  const int64_t R = dtable.size(0), C = dtable.size(1), N = dout.size(0);
  ASCENT_CHECK(dtable.ndim() == 2 && dout.ndim() == 2 && dout.size(1) == C)
      << "embedding_backward_range: dout " << dout.shape_str() << " dtable " << dtable.shape_str();
  // Rows of other ranks' tokens are left out; the rest goes through embedding_backward's
  // deterministic scatter with ids relative to this slice.
  std::vector<int32_t> local;
  std::vector<int64_t> rows;
  for (int64_t n = 0; n < N; ++n) {
    const int64_t r = tokens[n] - first;
    if (r >= 0 && r < R) {
      local.push_back(static_cast<int32_t>(r));
      rows.push_back(n);
    }
  }
  if (local.empty()) return;
  if (static_cast<int64_t>(local.size()) == N) {
    embedding_backward(local.data(), dout, dtable);
    return;
  }
  Buffer packed(DType::F32, static_cast<int64_t>(local.size()) * C);
  float* pp = static_cast<float*>(packed.data());
  for (size_t i = 0; i < rows.size(); ++i)
    std::copy(dout.f32() + rows[i] * C, dout.f32() + (rows[i] + 1) * C, pp + i * C);
  embedding_backward(local.data(), Tensor(pp, DType::F32, {static_cast<int64_t>(local.size()), C}),
                     dtable);
}

}  // namespace ascent::kernels::cpu
