#pragma once
// The machine's f32 FMA peak, measured (not looked up): the denominator of MFU and "% of peak".
namespace ascent::kernels {

struct PeakInfo {
  double gflops = 0;  // all OpenMP threads together
  const char* isa = "";
  int threads = 0;
};

// Runs register-resident FMA chains on every OpenMP thread for about `seconds`, best of 3.
PeakInfo measure_peak_f32(double seconds = 0.2);

}  // namespace ascent::kernels
