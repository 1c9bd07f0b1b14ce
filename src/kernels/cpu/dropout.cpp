// Dropout masks and the hidden-state dropout kernels; contract in kernels.h. Masks are never
// stored: every kernel regenerates them from the Philox key and the element index, so forward and
// backward agree and nothing depends on threads or tiling. The words of many counters are made at
// once in a loop the compiler vectorises (32 x 32 -> 64-bit products are single instructions in
// AVX2 / AVX-512), which is what makes regenerating cheaper than storing.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/rng.h"
#include "kernels/cpu/vectorize.h"
#include "kernels/kernels.h"

namespace ascent::kernels {
namespace {

constexpr int64_t kChunk = 1024;  // mask elements made per pass (stack buffers)
constexpr int64_t kBlock = 1 << 14;  // elements per parallel unit of the tensor kernels

// Elements are dropped when their word is below this; p * 2^32 rounded.
uint32_t drop_threshold(float p) {
  const double t = std::nearbyint(static_cast<double>(p) * 4294967296.0);
  return static_cast<uint32_t>(std::clamp(t, 0.0, 4294967295.0));
}

void check_p(float p) { ASCENT_CHECK(p >= 0.f && p < 1.f) << "dropout probability " << p; }

// w[4 * k + r] = word r of Philox4x32-10(key, counter = (ctr_hi, c0 + k)) for k in [0, nb); the
// same rounds as core's Philox::block, lane by lane.
ASCENT_VECTORIZE void philox_words(uint64_t key, uint64_t ctr_hi, uint64_t c0, int64_t nb,
                                   uint32_t* __restrict w) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  const uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  const uint32_t hi0 = static_cast<uint32_t>(ctr_hi), hi1 = static_cast<uint32_t>(ctr_hi >> 32);
  for (int64_t k = 0; k < nb; ++k) {
    const uint64_t ctr = c0 + static_cast<uint64_t>(k);
    uint32_t x0 = static_cast<uint32_t>(ctr), x1 = static_cast<uint32_t>(ctr >> 32);
    uint32_t x2 = hi0, x3 = hi1, y0 = k0, y1 = k1;
#pragma GCC unroll 10
    for (int r = 0; r < 10; ++r) {
      const uint64_t p0 = static_cast<uint64_t>(kM0) * x0;
      const uint64_t p1 = static_cast<uint64_t>(kM1) * x2;
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ x1 ^ y0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ x3 ^ y1;
      x1 = static_cast<uint32_t>(p1);
      x3 = static_cast<uint32_t>(p0);
      x0 = n0;
      x2 = n2;
      y0 += kW0;
      y1 += kW1;
    }
    w[4 * k] = x0;
    w[4 * k + 1] = x1;
    w[4 * k + 2] = x2;
    w[4 * k + 3] = x3;
  }
}

ASCENT_VECTORIZE void threshold_words(const uint32_t* w, int64_t n, uint32_t thr, float keep,
                                      float* m) {
  for (int64_t k = 0; k < n; ++k) m[k] = w[k] >= thr ? keep : 0.f;
}

// residual[k] += x[k] * m[k]
ASCENT_VECTORIZE void masked_add(const float* x, const float* m, int64_t n, float* residual) {
  for (int64_t k = 0; k < n; ++k) residual[k] += x[k] * m[k];
}

// dx[k] = dy[k] * m[k]  (dx may alias dy)
ASCENT_VECTORIZE void masked_copy(const float* dy, const float* m, int64_t n, float* dx) {
  for (int64_t k = 0; k < n; ++k) dx[k] = dy[k] * m[k];
}

// Calls fn(begin, end) for the fixed blocks of [0, n), in parallel when there are several.
template <typename Fn>
void for_blocks(int64_t n, Fn fn) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t i = 0; i < blocks; ++i) fn(i * kBlock, std::min(n, (i + 1) * kBlock));
}

// fn(offset, count, m) for each chunk of [begin, end) with m the scaled mask of that chunk.
template <typename Fn>
void for_mask_chunks(uint64_t seed, uint64_t stream, float p, int64_t begin, int64_t end, Fn fn) {
  float m[kChunk];
  for (int64_t k = begin; k < end; k += kChunk) {
    const int64_t n = std::min(kChunk, end - k);
    dropout_mask(seed, stream, static_cast<uint64_t>(k), n, p, m);
    fn(k, n, m);
  }
}

void check_same_f32(const Tensor& a, const Tensor& b, const char* op) {
  ASCENT_CHECK(a.dtype() == DType::F32 && b.dtype() == DType::F32 && a.numel() == b.numel())
      << op << ": want f32 tensors of equal size, got " << dtype_name(a.dtype()) << a.shape_str()
      << " and " << dtype_name(b.dtype()) << b.shape_str();
}

}  // namespace

bool dropout_keep(uint64_t seed, uint64_t stream, uint64_t index, float p) {
  check_p(p);
  uint32_t w[4];
  Philox::block(seed, stream, index / 4, w);
  return w[index % 4] >= drop_threshold(p);
}

void dropout_mask(uint64_t seed, uint64_t stream, uint64_t first, int64_t n, float p, float* m) {
  check_p(p);
  const uint32_t thr = drop_threshold(p);
  const float keep = 1.f / (1.f - p);
  uint32_t w[kChunk + 8];
  for (int64_t k = 0; k < n; k += kChunk) {
    const int64_t len = std::min(kChunk, n - k);
    const uint64_t a = first + static_cast<uint64_t>(k);  // first index of this chunk
    const uint64_t c0 = a / 4, c1 = (a + static_cast<uint64_t>(len) + 3) / 4;
    philox_words(seed, stream, c0, static_cast<int64_t>(c1 - c0), w);
    threshold_words(w + (a - 4 * c0), len, thr, keep, m + k);
  }
}

void dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                         const Tensor& residual) {
  check_same_f32(x, residual, "dropout_add_forward");
  check_p(p);
  const float* xs = x.f32();
  float* r = residual.f32();
  for_blocks(x.numel(), [&](int64_t b, int64_t e) {
    for_mask_chunks(seed, stream, p, b, e,
                    [&](int64_t k, int64_t n, const float* m) { masked_add(xs + k, m, n, r + k); });
  });
}

void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream,
                      const Tensor& dx) {
  check_same_f32(dy, dx, "dropout_backward");
  check_p(p);
  const float* g = dy.f32();
  float* o = dx.f32();
  for_blocks(dy.numel(), [&](int64_t b, int64_t e) {
    for_mask_chunks(seed, stream, p, b, e,
                    [&](int64_t k, int64_t n, const float* m) { masked_copy(g + k, m, n, o + k); });
  });
}

}  // namespace ascent::kernels
