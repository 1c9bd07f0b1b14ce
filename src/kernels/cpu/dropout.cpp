// Dropout masks and the hidden-state dropout kernels; contract in kernels.h. Masks are never
// stored: every kernel regenerates them from the Philox key and the element index, so forward and
// backward agree and nothing depends on threads or tiling. Making them is the whole cost of
// dropout, so with AVX2 Philox runs on 8 counters at once, 16 bits per element, in the order the
// vector produces them (hand intrinsics: GCC lowers a 64-bit vector product to three multiplies
// plus shifts, and its vectoriser re-packs the halves across lanes; both several times slower).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/rng.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vectorize.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ASCENT_HAVE_AVX2_PATH 1
#endif

namespace ascent::kernels::cpu {
namespace {

constexpr int64_t kGroup = 64;    // elements made from 8 Philox blocks (8 counters x 4 words x 2)
constexpr int64_t kChunk = 1024;  // mask elements per pass of the tensor kernels (stack buffer)
constexpr int64_t kBlock = 1 << 14;  // elements per parallel unit of the tensor kernels
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // Philox4x32 constants (core/rng.cpp)
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

// Elements whose 16 bits are below this are dropped: round(p * 2^16).
uint32_t drop_threshold(float p) {
  return static_cast<uint32_t>(std::nearbyint(static_cast<double>(p) * 65536.0));
}

void check_p(float p) { ASCENT_CHECK(p >= 0.f && p < 1.f) << "dropout probability " << p; }

// m[16 r + 8 h + l] = keep or 0 from half h of word r of counter 8 g + l: the layout of
// kernels.h, written the way the vector code produces it.
using MaskGroup = void (*)(uint64_t seed, uint64_t stream, uint64_t g, uint32_t thr, float keep,
                           float* m);

void mask_group_scalar(uint64_t seed, uint64_t stream, uint64_t g, uint32_t thr, float keep,
                       float* m) {
  for (int l = 0; l < 8; ++l) {
    uint32_t w[4];
    Philox::block(seed, stream, 8 * g + l, w);
    for (int r = 0; r < 4; ++r) {
      m[16 * r + l] = (w[r] & 0xffffu) >= thr ? keep : 0.f;
      m[16 * r + 8 + l] = (w[r] >> 16) >= thr ? keep : 0.f;
    }
  }
}

#ifdef ASCENT_HAVE_AVX2_PATH
// hi and lo halves of the 32 x 32-bit products x * m lane by lane: even and odd lanes multiplied
// as 64-bit lanes, then blended back in place.
__attribute__((target("avx2"), always_inline)) inline void mulhilo(__m256i x, __m256i m,
                                                                   __m256i& hi, __m256i& lo) {
  const __m256i pe = _mm256_mul_epu32(x, m);
  const __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
  lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
}

// The rounds of core's Philox::block on counters (stream, 8 g + lane).
__attribute__((target("avx2"))) void mask_group_avx2(uint64_t seed, uint64_t stream, uint64_t g,
                                                     uint32_t thr, float keep, float* m) {
  const uint64_t c = 8 * g;  // the low word of c + lane never carries: c is a multiple of 8
  __m256i x0 = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(c))),
                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256i x1 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(c >> 32)));
  __m256i x2 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  __m256i x3 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream >> 32)));
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    __m256i hi0, lo0, hi1, lo1;
    mulhilo(x0, m0, hi0, lo0);
    mulhilo(x2, m1, hi1, lo1);
    x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(k0)));
    x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
    x1 = lo1;
    x3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  // 16-bit halves against the threshold (as signed 32-bit: both are <= 2^16).
  const __m256i t = _mm256_set1_epi32(static_cast<int>(thr) - 1);  // kept: bits > thr - 1
  const __m256 kb = _mm256_set1_ps(keep);
  const __m256i low = _mm256_set1_epi32(0xffff);
  const __m256i words[4] = {x0, x1, x2, x3};
  for (int r = 0; r < 4; ++r) {
    const __m256i halves[2] = {_mm256_and_si256(words[r], low), _mm256_srli_epi32(words[r], 16)};
    for (int h = 0; h < 2; ++h) {
      const __m256 kept = _mm256_castsi256_ps(_mm256_cmpgt_epi32(halves[h], t));
      _mm256_storeu_ps(m + 16 * r + 8 * h, _mm256_and_ps(kept, kb));
    }
  }
}

#endif

MaskGroup pick_mask_group() {
#ifdef ASCENT_HAVE_AVX2_PATH
  if (__builtin_cpu_supports("avx2")) return mask_group_avx2;
#endif
  return mask_group_scalar;
}

// The mask of elements [first, first + n): whole groups straight into m, partial ones through a
// buffer.
void make_mask(uint64_t seed, uint64_t stream, uint64_t first, int64_t n, uint32_t thr, float keep,
               float* m) {
  static const MaskGroup mask_group = pick_mask_group();
  alignas(32) float buf[kGroup];
  const uint64_t end = first + static_cast<uint64_t>(n);
  for (uint64_t g = first / kGroup; g * kGroup < end; ++g) {
    const uint64_t a = std::max(first, g * kGroup), b = std::min(end, (g + 1) * kGroup);
    if (b - a == kGroup) {
      mask_group(seed, stream, g, thr, keep, m + (a - first));
    } else {
      mask_group(seed, stream, g, thr, keep, buf);
      std::copy(buf + (a - g * kGroup), buf + (b - g * kGroup), m + (a - first));
    }
  }
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
// Mask element indices are shifted by `first` (a slice of a larger tensor).
template <typename Fn>
void for_mask_chunks(uint64_t seed, uint64_t stream, float p, uint64_t first, int64_t begin,
                     int64_t end, Fn fn) {
  float m[kChunk];
  for (int64_t k = begin; k < end; k += kChunk) {
    const int64_t n = std::min(kChunk, end - k);
    dropout_mask(seed, stream, first + static_cast<uint64_t>(k), n, p, m);
    fn(k, n, m);
  }
}

void check_same_f32(const Tensor& a, const Tensor& b, const char* op) {
  ASCENT_CHECK(a.dtype() == DType::F32 && b.dtype() == DType::F32 && a.numel() == b.numel())
      << op << ": want f32 tensors of equal size, got " << dtype_name(a.dtype()) << a.shape_str()
      << " and " << dtype_name(b.dtype()) << b.shape_str();
}

}  // namespace
}  // namespace ascent::kernels::cpu

// The host-side mask rule (not backend kernels).
namespace ascent::kernels {

bool dropout_keep(uint64_t seed, uint64_t stream, uint64_t index, float p) {
  using namespace cpu;
  check_p(p);
  const uint64_t g = index / kGroup, k = index % kGroup;
  uint32_t w[4];
  Philox::block(seed, stream, 8 * g + k % 8, w);
  const uint32_t bits = (w[k / 16] >> (16 * ((k / 8) % 2))) & 0xffffu;
  return bits >= drop_threshold(p);
}

void dropout_mask(uint64_t seed, uint64_t stream, uint64_t first, int64_t n, float p, float* m) {
  using namespace cpu;
  check_p(p);
  make_mask(seed, stream, first, n, drop_threshold(p), 1.f / (1.f - p), m);
}

}  // namespace ascent::kernels

namespace ascent::kernels::cpu {

void dropout_add_forward(const Tensor& x, float p, uint64_t seed, uint64_t stream,
                         const Tensor& residual, uint64_t first) {
  check_same_f32(x, residual, "dropout_add_forward");
  check_p(p);
  const float* xs = x.f32();
  float* r = residual.f32();
  for_blocks(x.numel(), [&](int64_t b, int64_t e) {
    for_mask_chunks(seed, stream, p, first, b, e,
                    [&](int64_t k, int64_t n, const float* m) { masked_add(xs + k, m, n, r + k); });
  });
}

void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t stream, const Tensor& dx,
                      uint64_t first) {
  check_same_f32(dy, dx, "dropout_backward");
  check_p(p);
  const float* g = dy.f32();
  float* o = dx.f32();
  for_blocks(dy.numel(), [&](int64_t b, int64_t e) {
    for_mask_chunks(seed, stream, p, first, b, e,
                    [&](int64_t k, int64_t n, const float* m) { masked_copy(g + k, m, n, o + k); });
  });
}

}  // namespace ascent::kernels::cpu
