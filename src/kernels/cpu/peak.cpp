#include "kernels/peak.h"

#include <omp.h>

#include "core/timer.h"

namespace ascent::kernels {
namespace {

constexpr int kChains = 12;  // independent FMA chains: covers latency x throughput

template <typename V>
__attribute__((always_inline)) inline float fma_chains(long iters) {
  V acc[kChains];
  const V mul = V{} + 0.999999f, add = V{} + 1e-7f;
  for (int c = 0; c < kChains; ++c) acc[c] = V{} + static_cast<float>(c);
  for (long i = 0; i < iters; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * mul + add;
  V s = V{};
  for (int c = 0; c < kChains; ++c) s += acc[c];
  return s[0];
}

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
__attribute__((target("avx512f,fma"))) float run_avx512(long n) { return fma_chains<v16>(n); }
__attribute__((target("avx2,fma"))) float run_avx2(long n) { return fma_chains<v8>(n); }

}  // namespace

PeakInfo measure_peak_f32(double seconds) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const int lanes = avx512 ? 16 : 8;
  // About 3e9 FMA vectors per second per core: size the loop for `seconds`.
  const long iters = static_cast<long>(seconds * 3e9 / kChains);
  PeakInfo info;
  info.isa = avx512 ? "avx512" : "avx2";
  volatile float sink = 0;
  for (int rep = 0; rep < 3; ++rep) {
    Timer t;
    int threads = 1;
    float s = 0;
#pragma omp parallel reduction(+ : s)
    {
#pragma omp single
      threads = omp_get_num_threads();
      s += avx512 ? run_avx512(iters) : run_avx2(iters);
    }
    sink = sink + s;
    const double g = 2.0 * lanes * kChains * static_cast<double>(iters) * threads / t.seconds() / 1e9;
    if (g > info.gflops) {
      info.gflops = g;
      info.threads = threads;
    }
  }
  return info;
}

}  // namespace ascent::kernels
