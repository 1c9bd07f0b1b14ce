#include "optim/grad_clip.h"

#include <cmath>

#include "kernels/kernels.h"

namespace ascent {

double global_grad_norm(const float* grad, size_t n) {
  const Tensor g(const_cast<float*>(grad), DType::F32, {static_cast<int64_t>(n)});
  return std::sqrt(kernels::sum_squares(g));
}

float clip_coefficient(double norm, float max_norm) {
  if (max_norm <= 0.f) return 1.f;
  const double c = static_cast<double>(max_norm) / (norm + 1e-6);
  return c < 1.0 ? static_cast<float>(c) : 1.f;
}

}  // namespace ascent
