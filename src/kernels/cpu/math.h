#pragma once
// Branch-free float math for the hot loops. libm's expf/tanhf are scalar calls unless the build
// uses -ffast-math, which would stop the loops around them from vectorizing; these inline
// versions vectorize under `#pragma omp simd` inside an ASCENT_VECTORIZE worker.
#include <cstdint>
#include <cstring>

namespace ascent::kernels::cpu {

// c ? a : b on the bit patterns. GCC 12 will not if-convert a float compare-and-select (std::max
// included) without -ffast-math, so a loop using one stays scalar; this mask form vectorizes.
inline float select(bool c, float a, float b) {
  uint32_t ab, bb;
  std::memcpy(&ab, &a, 4);
  std::memcpy(&bb, &b, 4);
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  const uint32_t r = (ab & m) | (bb & ~m);
  float f;
  std::memcpy(&f, &r, 4);
  return f;
}

// e^x to within ~2 ulp (Cephes expf polynomial after reduction by ln 2). Inputs are clamped to
// [-87.3, 88.3] so the scale 2^n stays a normal float: exp of very negative x returns ~1e-38
// instead of 0, of very large x ~2e38 instead of inf. NaN propagates.
inline float exp_approx(float x) {
  x = select(x < -87.3f, -87.3f, x);
  x = select(x > 88.3f, 88.3f, x);
  // Round x / ln2 to the nearest integer with the 1.5 * 2^23 trick (exact for |t| < 2^22).
  const float t = x * 1.44269504088896341f;
  const float n = (t + 12582912.f) - 12582912.f;
  float r = x - n * 0.693359375f;  // ln2 split in two so n * ln2 is exact enough
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

// 1 / (1 + e^-x)
inline float sigmoid_approx(float x) { return 1.f / (1.f + exp_approx(-x)); }

// tanh(x) = 1 - 2 / (e^{2x} + 1): saturates to +-1 cleanly; near 0 the absolute error stays at
// float epsilon, which is what GeLU (0.5x(1 + tanh)) needs.
inline float tanh_approx(float x) { return 1.f - 2.f / (exp_approx(2.f * x) + 1.f); }

}  // namespace ascent::kernels::cpu
