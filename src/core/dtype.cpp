#include "core/dtype.h"

#include <algorithm>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "core/error.h"

namespace ascent {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32:
      return 4;
    case DType::BF16:
      return 2;
    case DType::F16:
      return 2;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "f32";
    case DType::BF16:
      return "bf16";
    case DType::F16:
      return "f16";
  }
  return "?";
}

DType parse_dtype(const std::string& s) {
  if (s == "f32" || s == "float32" || s == "F32" || s == "float") return DType::F32;
  if (s == "bf16" || s == "bfloat16" || s == "BF16") return DType::BF16;
  if (s == "f16" || s == "float16" || s == "F16" || s == "fp16" || s == "half") return DType::F16;
  throw error("[dtype] unknown dtype '", s, "' (expected f32, bf16 or f16)");
}

f16_t f32_to_f16(float f) {
  uint32_t u = f32_bits(f);
  uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<f16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));  // NaN
  if (abs >= 0x477ff000u) {
    // >= 65520 rounds to infinity (65504 is the largest finite half).
    return static_cast<f16_t>(sign | 0x7c00u);
  }
  if (abs < 0x38800000u) {
    // Result is subnormal (or zero): value = abs_float * 2^24 rounded to an integer.
    if (abs < 0x33000000u) return static_cast<f16_t>(sign);  // < 2^-25 rounds to zero
    uint32_t exp = abs >> 23;                                // biased f32 exponent
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - exp;  // 14 - (exp - 127) + 9 ... aligns to the half subnormal ulp
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t mid = 1u << (shift - 1u);
    if (rem > mid || (rem == mid && (half & 1u))) half += 1u;
    return static_cast<f16_t>(sign | half);
  }
  // Normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits.
  uint32_t h = ((abs - 0x38000000u) >> 13);
  uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h += 1u;
  return static_cast<f16_t>(sign | h);
}

float f16_to_f32(f16_t h) {
  uint32_t sign = (static_cast<uint32_t>(h) & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    if (mant == 0) return bits_f32(sign);
    // Subnormal: mant * 2^-24.
    float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) return bits_f32(sign | 0x7f800000u | (mant << 13));
  return bits_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

void convert_f32_to_bf16(const float* src, bf16_t* dst, size_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
}

void convert_bf16_to_f32(const bf16_t* src, float* dst, size_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}

namespace {

#if defined(__x86_64__)
// F16C from CPUID leaf 1 (ECX bit 29) rather than __builtin_cpu_supports("f16c"), which clang 14
// (the fuzz build's compiler) does not know.
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __builtin_cpu_supports("avx") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) &&
           (ecx & bit_F16C) != 0;
  }();
  return has;
}

// vcvtps2ph rounds to nearest even (imm 0) and keeps a NaN's sign and top payload bits with the
// quiet bit set; vcvtph2ps is exact. Both as the scalar code above.
__attribute__((target("avx,f16c"))) size_t f32_to_f16_f16c(const float* src, f16_t* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  return i;
}

__attribute__((target("avx,f16c"))) size_t f16_to_f32_f16c(const f16_t* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  return i;
}
#endif

// Splits n elements over the OpenMP threads when it is worth it.
template <typename F>
void parallel_runs(size_t n, F run) {
  constexpr size_t kRun = 16384;
  const int64_t runs = static_cast<int64_t>((n + kRun - 1) / kRun);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t r = 0; r < runs; ++r) {
    const size_t b = static_cast<size_t>(r) * kRun;
    run(b, std::min(n, b + kRun) - b);
  }
}

}  // namespace

void f32_to_f16_run(const float* src, f16_t* dst, size_t n) {
  size_t i = 0;
#if defined(__x86_64__)
  if (cpu_has_f16c()) i = f32_to_f16_f16c(src, dst, n);
#endif
  for (; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void f16_to_f32_run(const f16_t* src, float* dst, size_t n) {
  size_t i = 0;
#if defined(__x86_64__)
  if (cpu_has_f16c()) i = f16_to_f32_f16c(src, dst, n);
#endif
  for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void convert_f32_to_f16(const float* src, f16_t* dst, size_t n) {
  parallel_runs(n, [&](size_t b, size_t len) { f32_to_f16_run(src + b, dst + b, len); });
}

void convert_f16_to_f32(const f16_t* src, float* dst, size_t n) {
  parallel_runs(n, [&](size_t b, size_t len) { f16_to_f32_run(src + b, dst + b, len); });
}

}  // namespace ascent
