#pragma once
// Counter-based RNG (Philox4x32-10, Salmon et al. 2011). A stream is keyed by (seed, stream id);
// the n-th draw depends only on the key and n, never on thread scheduling, so initialisation
// and dropout masks are reproducible across thread counts and resumes.
#include <cstdint>

namespace ascent {

struct Philox {
  // Returns the 4 32-bit words for counter `ctr` under key `key`.
  static void block(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[4]);
};

// SplitMix64's finaliser: mixes a 64-bit value into a well-spread one (for deriving keys).
uint64_t splitmix64(uint64_t x);
// Uniform integer in [0, bound) for draw `n` of Philox stream `key`: Lemire's multiply-shift with
// rejection, redrawing from further counters, so it is exactly uniform and portable (shuffles
// that every platform and resume reproduce). bound >= 1.
uint64_t philox_uniform_below(uint64_t key, uint64_t n, uint64_t bound);

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}
  // Uniform in [0, 1) from the 32-bit word at position i (24-bit resolution).
  float uniform(uint64_t i) const;
  // Standard normal for position i (Box-Muller on a pair of words of one Philox block).
  float normal(uint64_t i) const;
  // Fills out[0..n) with N(0, std^2), position offset `offset` (parallel and deterministic).
  void fill_normal(float* out, uint64_t n, float std, uint64_t offset = 0) const;
  void fill_uniform(float* out, uint64_t n, uint64_t offset = 0) const;

  uint64_t seed() const { return seed_; }
  uint64_t stream() const { return stream_; }

 private:
  uint64_t seed_;
  uint64_t stream_;
};

}  // namespace ascent
