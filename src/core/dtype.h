#pragma once
// Element types and exact conversions.
//
// bf16 and f16 conversions from f32 round to nearest, ties to even; NaN stays NaN (quiet),
// overflow goes to infinity, f16 handles subnormals. bf16/f16 -> f32 is exact.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace ascent {

enum class DType : uint8_t { F32, BF16, F16 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "f32", "bf16", "f16"
// Parses "f32"/"float32"/"F32", "bf16"/"bfloat16"/"BF16", "f16"/"float16"/"F16"; throws on others.
DType parse_dtype(const std::string& s);

using bf16_t = uint16_t;  // raw bits
using f16_t = uint16_t;   // raw bits

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline bf16_t f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16_t>((u >> 16) | 0x40u);  // NaN
  uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<bf16_t>((u + rounding_bias) >> 16);
}
inline float bf16_to_f32(bf16_t h) { return bits_f32(static_cast<uint32_t>(h) << 16); }

f16_t f32_to_f16(float f);
float f16_to_f32(f16_t h);

// f16 runs on the calling thread, with the CPU's F16C instructions when it has them (checked at
// run time) and the scalar conversions above otherwise; the results are the same.
void f32_to_f16_run(const float* src, f16_t* dst, size_t n);
void f16_to_f32_run(const f16_t* src, float* dst, size_t n);

// Bulk conversions (OpenMP parallel, vectorized). n elements.
void convert_f32_to_bf16(const float* src, bf16_t* dst, size_t n);
void convert_bf16_to_f32(const bf16_t* src, float* dst, size_t n);
void convert_f32_to_f16(const float* src, f16_t* dst, size_t n);
void convert_f16_to_f32(const f16_t* src, float* dst, size_t n);

}  // namespace ascent
