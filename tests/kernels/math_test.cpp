#include "kernels/cpu/math.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ascent {
namespace {

using kernels::cpu::exp_approx;

// Relative error within a few float ulps over the whole clamped range.
TEST(Math, ExpApproxIsAccurate) {
  double worst = 0.0;
  for (double x = -87.0; x <= 88.0; x += 0.000731) {
    const double want = std::exp(static_cast<double>(static_cast<float>(x)));
    const double got = exp_approx(static_cast<float>(x));
    worst = std::max(worst, std::abs(got - want) / want);
  }
  EXPECT_LT(worst, 3e-7);  // 2.5 ulp
}

TEST(Math, ExpApproxEdges) {
  EXPECT_EQ(exp_approx(0.f), 1.f);
  EXPECT_TRUE(std::isnan(exp_approx(NAN)));
  EXPECT_GE(exp_approx(-INFINITY), 0.f);
  EXPECT_LT(exp_approx(-INFINITY), 1e-37f);
  EXPECT_TRUE(std::isfinite(exp_approx(INFINITY)));
  EXPECT_GT(exp_approx(1000.f), 1e38f);
  EXPECT_NEAR(kernels::cpu::tanh_approx(0.3f), std::tanh(0.3), 2e-7);
  EXPECT_EQ(kernels::cpu::tanh_approx(50.f), 1.f);
  EXPECT_EQ(kernels::cpu::tanh_approx(-50.f), -1.f);
  EXPECT_NEAR(kernels::cpu::sigmoid_approx(-3.f), 1.0 / (1.0 + std::exp(3.0)), 1e-8);
}

}  // namespace
}  // namespace ascent
