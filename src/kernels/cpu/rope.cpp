// Position encodings: rotary embedding (rotate-half, HF LLaMA) and ALiBi slopes (HF Bloom).
#include <cmath>
#include <memory>
#include <utility>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

// Rotates the pairs (x[d], x[d + half]) of one head by the angles whose cos/sin are given;
// sign = -1 rotates backwards.
ASCENT_VECTORIZE void rotate_head(float* x, const float* cos, const float* sin, float sign,
                                  int64_t half) {
  float* x2 = x + half;
  for (int64_t d = 0; d < half; ++d) {
    const float c = cos[d], s = sign * sin[d];
    const float a = x[d], b = x2[d];
    x[d] = a * c - b * s;
    x2[d] = b * c + a * s;
  }
}

}  // namespace

// cos and sin share one host buffer: [cos | sin], each [max_pos, half].
RopeTable rope_table(int64_t max_pos, int64_t head_size, float base) {
  ASCENT_CHECK(max_pos >= 0 && head_size > 0 && head_size % 2 == 0 && base > 0.f)
      << "rope_table: max_pos " << max_pos << " head_size " << head_size << " base " << base;
  RopeTable t;
  t.max_pos = max_pos;
  t.head_size = head_size;
  const int64_t half = head_size / 2;
  auto storage = std::make_shared<Buffer>(DType::F32, 2 * max_pos * half);
  if (max_pos == 0) return t;
  float* cos = static_cast<float*>(storage->data());
  float* sin = cos + max_pos * half;
  for (int64_t d = 0; d < half; ++d) {
    const double inv_freq =
        std::pow(static_cast<double>(base), -2.0 * static_cast<double>(d) / head_size);
    for (int64_t p = 0; p < max_pos; ++p) {
      const double theta = static_cast<double>(p) * inv_freq;
      cos[p * half + d] = static_cast<float>(std::cos(theta));
      sin[p * half + d] = static_cast<float>(std::sin(theta));
    }
  }
  t.cos = Tensor(cos, DType::F32, {max_pos, half});
  t.sin = Tensor(sin, DType::F32, {max_pos, half});
  t.storage = std::move(storage);
  return t;
}

void rope_apply(const Tensor& x, int64_t heads, const int32_t* positions, const RopeTable& table,
                bool inverse) {
  const int64_t HS = table.head_size, half = HS / 2;
  ASCENT_CHECK(x.ndim() == 2 && heads >= 0 && heads * HS <= x.size(1))
      << "rope_apply: x " << x.shape_str() << " cannot hold " << heads << " heads of " << HS;
  const int64_t N = x.size(0), W = x.size(1);
  ASCENT_CHECK(N == 0 || heads == 0 || !table.empty()) << "rope_apply: empty table";
  for (int64_t n = 0; n < N; ++n)
    ASCENT_CHECK(positions[n] >= 0 && positions[n] < table.max_pos)
        << "rope_apply: position " << positions[n] << " at row " << n << " outside [0, "
        << table.max_pos << ")";
  float* px = x.f32();
  const float sign = inverse ? -1.f : 1.f;
#pragma omp parallel for schedule(static) if (N * heads * HS > 32768)
  for (int64_t n = 0; n < N; ++n) {
    const float* c = table.cos.f32() + positions[n] * half;
    const float* s = table.sin.f32() + positions[n] * half;
    for (int64_t h = 0; h < heads; ++h) rotate_head(px + n * W + h * HS, c, s, sign, half);
  }
}

}  // namespace ascent::kernels::cpu

namespace ascent::kernels {

// HF Bloom build_alibi_tensor / Baichuan _get_interleave: with p the largest power of two <= n,
// slopes 2^(-8k/p) for k = 1..p, then for the n - p remaining heads the odd powers
// 2^(-4k/p), k = 1, 3, 5, ... (every other slope of the next power of two).
std::vector<float> alibi_slopes(int64_t n_heads) {
  ASCENT_CHECK(n_heads > 0) << "alibi_slopes: n_heads " << n_heads;
  int64_t p = 1;
  while (p * 2 <= n_heads) p *= 2;
  std::vector<float> slopes;
  slopes.reserve(static_cast<size_t>(n_heads));
  const double base = std::pow(2.0, -8.0 / static_cast<double>(p));
  for (int64_t k = 1; k <= p; ++k) slopes.push_back(static_cast<float>(std::pow(base, k)));
  const double extra_base = std::pow(2.0, -4.0 / static_cast<double>(p));
  for (int64_t i = 0; i < n_heads - p; ++i)
    slopes.push_back(static_cast<float>(std::pow(extra_base, 2 * i + 1)));
  return slopes;
}

}  // namespace ascent::kernels
