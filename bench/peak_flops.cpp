// Measured f32 FMA peak of this machine, the denominator of every "% of peak" we report.
//   OMP_NUM_THREADS=2 peak_flops   -> {"peak_f32_gflops": ..., "isa": "avx2", "threads": 2}
#include <cstdio>

#include "kernels/peak.h"

int main() {
  const ascent::kernels::PeakInfo p = ascent::kernels::measure_peak_f32(1.0);
  std::printf("{\"peak_f32_gflops\":%.1f,\"isa\":\"%s\",\"threads\":%d}\n", p.gflops, p.isa,
              p.threads);
  return 0;
}
