#include "core/rng.h"

#include <cmath>

namespace ascent {

void Philox::block(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[4]) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(ctr_lo), c1 = static_cast<uint32_t>(ctr_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(ctr_hi), c3 = static_cast<uint32_t>(ctr_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += kW0;
    k1 += kW1;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

float Rng::uniform(uint64_t i) const {
  uint32_t w[4];
  Philox::block(seed_, stream_, i / 4, w);
  return static_cast<float>(w[i % 4] >> 8) * (1.0f / 16777216.0f);
}

float Rng::normal(uint64_t i) const {
  uint32_t w[4];
  Philox::block(seed_, stream_, i / 2, w);
  int j = static_cast<int>(i % 2);
  // u1 in (0, 1], u2 in [0, 1) with 32-bit resolution.
  double u1 = (static_cast<double>(w[0]) + 1.0) * (1.0 / 4294967296.0);
  double u2 = static_cast<double>(w[1]) * (1.0 / 4294967296.0);
  double r = std::sqrt(-2.0 * std::log(u1));
  double th = 2.0 * M_PI * u2;
  return static_cast<float>(j == 0 ? r * std::cos(th) : r * std::sin(th));
}

void Rng::fill_normal(float* out, uint64_t n, float std, uint64_t offset) const {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (uint64_t i = 0; i < n; ++i) out[i] = std * normal(offset + i);
}

void Rng::fill_uniform(float* out, uint64_t n, uint64_t offset) const {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (uint64_t i = 0; i < n; ++i) out[i] = uniform(offset + i);
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t philox_uniform_below(uint64_t key, uint64_t n, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;
  for (uint64_t attempt = 0;; ++attempt) {
    uint32_t w[4];
    Philox::block(key, attempt, n, w);
    const uint64_t x = (static_cast<uint64_t>(w[1]) << 32) | w[0];
    const unsigned __int128 m = static_cast<unsigned __int128>(x) * bound;
    if (static_cast<uint64_t>(m) >= threshold) return static_cast<uint64_t>(m >> 64);
  }
}

}  // namespace ascent
