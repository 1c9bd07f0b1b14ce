// Measured FMA peak of this machine (f32), the denominator of every "% of peak" we report.
// Each thread runs independent chains of vector FMAs that stay in registers; the widest vector
// unit the CPU has (AVX-512, else AVX2) is picked at run time.
//
//   OMP_NUM_THREADS=2 peak_flops   -> {"peak_f32_gflops": ..., "isa": "avx2"}
#include <omp.h>

#include <cstdio>

#include "core/timer.h"

namespace {

constexpr int kChains = 12;  // enough independent FMAs to cover latency x throughput

template <typename V>
__attribute__((always_inline)) inline float fma_loop(long iters) {
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

__attribute__((target("avx512f,fma"))) float run_avx512(long iters) { return fma_loop<v16>(iters); }
__attribute__((target("avx2,fma"))) float run_avx2(long iters) { return fma_loop<v8>(iters); }

}  // namespace

int main() {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const int lanes = avx512 ? 16 : 8;
  const long iters = 20'000'000;
  double best = 0;
  int threads = 1;
  for (int rep = 0; rep < 3; ++rep) {
    ascent::Timer t;
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
      threads = omp_get_num_threads();
      sink += avx512 ? run_avx512(iters) : run_avx2(iters);
    }
    const double s = t.seconds();
    const double gflops = 2.0 * lanes * kChains * static_cast<double>(iters) * threads / s / 1e9;
    if (gflops > best) best = gflops;
    if (sink == 12345.f) std::printf(" ");  // keep the result alive
  }
  std::printf("{\"peak_f32_gflops\":%.1f,\"isa\":\"%s\",\"threads\":%d}\n", best,
              avx512 ? "avx512" : "avx2", threads);
  return 0;
}
