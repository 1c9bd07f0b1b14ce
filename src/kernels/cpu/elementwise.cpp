// Elementwise kernels: fill, scale, add, cast, bias. Flat ops run over fixed blocks of kBlock
// elements in parallel; each block is handled by a vectorized worker.
#include <algorithm>
#include <cstring>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

constexpr int64_t kBlock = 1 << 15;

// Calls fn(begin, end) for the fixed blocks of [0, n), in parallel when there are several.
template <typename Fn>
void for_blocks(int64_t n, Fn fn) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t i = 0; i < blocks; ++i) fn(i * kBlock, std::min(n, (i + 1) * kBlock));
}

ASCENT_VECTORIZE void fill_block(float* x, float v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = v;
}
ASCENT_VECTORIZE void scale_block(float* x, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}
// y may alias a or b: element i is read before it is written, so no restrict.
ASCENT_VECTORIZE void add_block(const float* a, const float* b, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
ASCENT_VECTORIZE void f32_to_bf16_block(const float* src, bf16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
}
ASCENT_VECTORIZE void bf16_to_f32_block(const bf16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}
// f16: core's conversions (F16C when the CPU has it).
void f32_to_f16_block(const float* src, f16_t* dst, int64_t n) {
  f32_to_f16_run(src, dst, static_cast<size_t>(n));
}
void f16_to_f32_block(const f16_t* src, float* dst, int64_t n) {
  f16_to_f32_run(src, dst, static_cast<size_t>(n));
}
void bf16_to_f16_block(const bf16_t* src, f16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(bf16_to_f32(src[i]));
}
void f16_to_bf16_block(const f16_t* src, bf16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(f16_to_f32(src[i]));
}

ASCENT_VECTORIZE void bias_row(float* y, const float* b, int64_t m) {
  for (int64_t j = 0; j < m; ++j) y[j] += b[j];
}

// Sums columns [0, m) of dy rows [0, n) (row stride ld) into acc, rows in increasing order.
ASCENT_VECTORIZE void column_sums(const float* dy, int64_t n, int64_t m, int64_t ld, float* acc) {
  for (int64_t r = 0; r < n; ++r) {
    const float* row = dy + r * ld;
    for (int64_t j = 0; j < m; ++j) acc[j] += row[j];
  }
}

template <typename S, typename D>
void cast_blocks(const Tensor& src, const Tensor& dst, void (*block_fn)(const S*, D*, int64_t)) {
  const S* s = static_cast<const S*>(src.data());
  D* d = static_cast<D*>(dst.data());
  for_blocks(src.numel(), [&](int64_t b, int64_t e) { block_fn(s + b, d + b, e - b); });
}

void check_f32_same_numel(const Tensor& a, const Tensor& b, const char* op) {
  ASCENT_CHECK(a.dtype() == DType::F32 && b.dtype() == DType::F32 && a.numel() == b.numel())
      << op << ": want f32 tensors of equal size, got " << dtype_name(a.dtype()) << a.shape_str()
      << " and " << dtype_name(b.dtype()) << b.shape_str();
}

}  // namespace

void fill(const Tensor& x, float value) {
  float* p = x.f32();
  for_blocks(x.numel(), [&](int64_t b, int64_t e) { fill_block(p + b, value, e - b); });
}

void scale(const Tensor& x, float s) {
  float* p = x.f32();
  for_blocks(x.numel(), [&](int64_t b, int64_t e) { scale_block(p + b, s, e - b); });
}

void add(const Tensor& a, const Tensor& b, const Tensor& y) {
  check_f32_same_numel(a, b, "add");
  check_f32_same_numel(a, y, "add");
  const float* pa = a.f32();
  const float* pb = b.f32();
  float* py = y.f32();
  for_blocks(y.numel(), [&](int64_t s, int64_t e) { add_block(pa + s, pb + s, py + s, e - s); });
}

void add_inplace(const Tensor& y, const Tensor& x) { add(y, x, y); }

void cast(const Tensor& src, const Tensor& dst) {
  ASCENT_CHECK(src.numel() == dst.numel())
      << "cast: " << src.shape_str() << " -> " << dst.shape_str();
  const DType from = src.dtype(), to = dst.dtype();
  if (from == to) {
    const char* s = static_cast<const char*>(src.data());
    char* d = static_cast<char*>(dst.data());
    for_blocks(static_cast<int64_t>(src.nbytes()), [&](int64_t b, int64_t e) {
      std::memcpy(d + b, s + b, static_cast<size_t>(e - b));
    });
  } else if (from == DType::F32 && to == DType::BF16) {
    cast_blocks(src, dst, f32_to_bf16_block);
  } else if (from == DType::BF16 && to == DType::F32) {
    cast_blocks(src, dst, bf16_to_f32_block);
  } else if (from == DType::F32 && to == DType::F16) {
    cast_blocks(src, dst, f32_to_f16_block);
  } else if (from == DType::F16 && to == DType::F32) {
    cast_blocks(src, dst, f16_to_f32_block);
  } else if (from == DType::BF16 && to == DType::F16) {
    cast_blocks(src, dst, bf16_to_f16_block);
  } else {
    cast_blocks(src, dst, f16_to_bf16_block);
  }
}

void copy(const Tensor& src, const Tensor& dst) {
  ASCENT_CHECK(src.dtype() == dst.dtype() && src.numel() == dst.numel())
      << "copy " << src.shape_str() << " -> " << dst.shape_str();
  if (src.data() != dst.data()) std::memcpy(dst.data(), src.data(), src.nbytes());
}

void bias_forward(const Tensor& y, const Tensor& b) {
  const int64_t M = b.numel();
  ASCENT_CHECK(M > 0 && y.numel() % M == 0 && y.size(-1) == M)
      << "bias_forward: y " << y.shape_str() << " b " << b.shape_str();
  const int64_t N = y.numel() / M;
  float* py = y.f32();
  const float* pb = b.f32();
#pragma omp parallel for schedule(static) if (N * M > kBlock)
  for (int64_t n = 0; n < N; ++n) bias_row(py + n * M, pb, M);
}

// Deterministic: each column's sum runs over rows in order on one thread, whatever the thread
// count; threads split the columns.
void bias_backward(const Tensor& dy, const Tensor& db) {
  const int64_t M = db.numel();
  ASCENT_CHECK(M > 0 && dy.numel() % M == 0 && dy.size(-1) == M)
      << "bias_backward: dy " << dy.shape_str() << " db " << db.shape_str();
  const int64_t N = dy.numel() / M;
  const float* pdy = dy.f32();
  float* pdb = db.f32();
  constexpr int64_t kCols = 64;
  const int64_t col_blocks = (M + kCols - 1) / kCols;
#pragma omp parallel for schedule(static) if (N * M > kBlock)
  for (int64_t cb = 0; cb < col_blocks; ++cb) {
    const int64_t c0 = cb * kCols, c1 = std::min(M, c0 + kCols);
    float acc[kCols] = {};
    column_sums(pdy + c0, N, c1 - c0, M, acc);
    for (int64_t j = c0; j < c1; ++j) pdb[j] += acc[j - c0];
  }
}

}  // namespace ascent::kernels::cpu
