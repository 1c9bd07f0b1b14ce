// Gradient clipping with Megatron's rule (clip_grads.py): clip_coeff = max_norm / (norm + 1e-6),
// applied when below 1; max_norm 0 turns clipping off. The norm against a naive double sum.
#include "optim/grad_clip.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace ascent {
namespace {

// Values spread over many binades, both signs.
std::vector<float> spread_values(size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> mantissa(-1.f, 1.f);
  std::uniform_int_distribution<int> exponent(-20, 10);
  std::vector<float> x(n);
  for (float& v : x) v = std::ldexp(mantissa(gen), exponent(gen));
  return x;
}

double naive_norm(const std::vector<float>& x) {
  long double s = 0;
  for (float v : x) s += static_cast<long double>(v) * v;
  return static_cast<double>(std::sqrt(s));
}

TEST(GlobalGradNorm, MatchesANaiveSumForSizesAroundTheChunking) {
  for (size_t n : {size_t{1}, size_t{7}, size_t{4095}, size_t{4096}, size_t{4097},
                   size_t{3 * 4096 + 17}, size_t{100003}}) {
    const std::vector<float> x = spread_values(n, n);
    const double want = naive_norm(x);
    EXPECT_NEAR(global_grad_norm(x.data(), n), want, 1e-13 * want) << n;
  }
  EXPECT_EQ(global_grad_norm(nullptr, 0), 0.0);
  const std::vector<float> three_four = {3.f, 0.f, -4.f};
  EXPECT_EQ(global_grad_norm(three_four.data(), 3), 5.0);
}

TEST(GlobalGradNorm, IsTheSameForAnyThreadCount) {
  const std::vector<float> x = spread_values(50000, 3);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = global_grad_norm(x.data(), x.size());
  omp_set_num_threads(4);
  const double four = global_grad_norm(x.data(), x.size());
  omp_set_num_threads(threads);
  EXPECT_EQ(one, four);
}

TEST(GlobalGradNorm, AnInfOrNanGradientMakesTheNormNonFinite) {
  // The fp16 overflow check (loss scaler) relies on this.
  std::vector<float> x = spread_values(10000, 4);
  x[9000] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(std::isfinite(global_grad_norm(x.data(), x.size())));
  x[9000] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(std::isfinite(global_grad_norm(x.data(), x.size())));
}

TEST(ClipCoefficient, ZeroOrNegativeLimitIsOff) {
  for (double norm : {0.0, 0.5, 1e6, 1e30})
    for (float limit : {0.f, -1.f}) EXPECT_EQ(clip_coefficient(norm, limit), 1.f) << norm;
}

TEST(ClipCoefficient, BelowTheLimitIsOne) {
  EXPECT_EQ(clip_coefficient(0.0, 1.f), 1.f);
  EXPECT_EQ(clip_coefficient(0.5, 1.f), 1.f);
  EXPECT_EQ(clip_coefficient(0.999, 1.f), 1.f);
  EXPECT_EQ(clip_coefficient(2.9, 3.f), 1.f);
}

TEST(ClipCoefficient, AtTheLimitMegatronsEpsilonStillClipsSlightly) {
  // max_norm / (max_norm + 1e-6) < 1, so Megatron scales the gradients by it.
  EXPECT_EQ(clip_coefficient(1.0, 1.f), static_cast<float>(1.0 / (1.0 + 1e-6)));
  EXPECT_LT(clip_coefficient(1.0, 1.f), 1.f);
  EXPECT_EQ(clip_coefficient(2.5, 2.5f), static_cast<float>(2.5 / (2.5 + 1e-6)));
}

TEST(ClipCoefficient, AboveTheLimitScalesTheNormDownToIt) {
  EXPECT_EQ(clip_coefficient(4.0, 1.f), static_cast<float>(1.0 / (4.0 + 1e-6)));
  EXPECT_EQ(clip_coefficient(1e4, 0.5f), static_cast<float>(0.5 / (1e4 + 1e-6)));
  EXPECT_EQ(clip_coefficient(std::numeric_limits<double>::infinity(), 1.f), 0.f);
  // Scaling the gradients by the coefficient brings their norm to the limit.
  std::vector<float> g = spread_values(20000, 9);
  const double norm = global_grad_norm(g.data(), g.size());
  const float c = clip_coefficient(norm, 0.25f);
  for (float& v : g) v *= c;
  EXPECT_NEAR(global_grad_norm(g.data(), g.size()), 0.25, 1e-6);
}

}  // namespace
}  // namespace ascent
