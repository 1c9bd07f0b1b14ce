#include <gtest/gtest.h>

#include <cmath>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

// torch.optim.AdamW, single-tensor path, in double.
void adamw_ref(const kernels::AdamWArgs& a, Vec& p, const Vec& g, Vec& m, Vec& v) {
  const double bc1 = 1 - std::pow(double(a.beta1), double(a.step));
  const double bc2 = 1 - std::pow(double(a.beta2), double(a.step));
  for (size_t i = 0; i < p.size(); ++i) {
    const double gi = g[i] * a.grad_scale;
    p[i] *= 1 - double(a.lr) * a.weight_decay;
    m[i] = a.beta1 * m[i] + (1 - double(a.beta1)) * gi;
    v[i] = a.beta2 * v[i] + (1 - double(a.beta2)) * gi * gi;
    p[i] -= a.lr / bc1 * m[i] / (std::sqrt(v[i]) / std::sqrt(bc2) + a.eps);
  }
}

TEST(AdamW, MatchesTorchFormulaOverSteps) {
  for (size_t n : {size_t(1), size_t(7), size_t(4097), size_t(50000)}) {
    SCOPED_TRACE(n);
    const int64_t len = static_cast<int64_t>(n);
    auto p = test::randn({len}, 1), m = test::zeros({len}), v = test::zeros({len});
    Vec rp = test::to_vec(*p), rm(n, 0.0), rv(n, 0.0);
    kernels::AdamWArgs a;
    a.lr = 1e-2f;
    a.weight_decay = 0.1f;
    a.beta2 = 0.95f;
    a.grad_scale = 0.5f;
    for (int64_t step = 1; step <= 5; ++step) {
      auto g = test::randn({len}, 10 + step);
      a.step = step;
      kernels::adamw_step(a, *p, *g, *m, *v);
      adamw_ref(a, rp, test::to_vec(*g), rm, rv);
    }
    EXPECT_TRUE(test::near(*p, rp, 2e-6));
    EXPECT_TRUE(test::near(*m, rm, 2e-6));
    EXPECT_TRUE(test::near(*v, rv, 2e-6));
  }
}

// First step with tiny gradients: the update is lr * sign(g) (bias correction cancels), plus the
// decoupled decay of p alone.
TEST(AdamW, FirstStepIsSignTimesLr) {
  std::vector<float> p = {1.f, -2.f, 3.f}, g = {1e-3f, -1e-3f, 2e-3f}, m(3), v(3);
  kernels::AdamWArgs a;
  a.lr = 0.1f;
  a.weight_decay = 0.5f;
  a.eps = 0.f;
  const auto t = [](std::vector<float>& x) { return Tensor(x.data(), DType::F32, {3}); };
  kernels::adamw_step(a, t(p), t(g), t(m), t(v));
  EXPECT_NEAR(p[0], 1.f * 0.95f - 0.1f, 1e-6);
  EXPECT_NEAR(p[1], -2.f * 0.95f + 0.1f, 1e-6);
  EXPECT_NEAR(p[2], 3.f * 0.95f - 0.1f, 1e-6);
}

TEST(Sgd, MomentumAndWeightDecay) {
  const size_t n = 10001;
  const int64_t len = static_cast<int64_t>(n);
  for (float momentum : {0.f, 0.9f}) {
    SCOPED_TRACE(momentum);
    auto p = test::randn({len}, 1), buf = test::zeros({len});
    Vec rp = test::to_vec(*p), rb(n, 0.0);
    const float lr = 0.05f, wd = 0.01f, gs = 2.f;
    for (int step = 0; step < 3; ++step) {
      auto g = test::randn({len}, 20 + step);
      kernels::sgd_step(lr, momentum, wd, gs, *p, *g, *buf);
      const Vec vg = test::to_vec(*g);
      for (size_t i = 0; i < n; ++i) {
        double d = vg[i] * gs + wd * rp[i];
        if (momentum > 0) d = rb[i] = momentum * rb[i] + d;
        rp[i] -= lr * d;
      }
    }
    EXPECT_TRUE(test::near(*p, rp, 1e-6));
  }
}

TEST(SumSquares, ExactAndIndependentOfThreads) {
  for (size_t n : {size_t(0), size_t(1), size_t(4095), size_t(4097), size_t(1000003)}) {
    SCOPED_TRACE(n);
    auto x = test::randn({static_cast<int64_t>(std::max<size_t>(n, 1))}, 3);
    long double want = 0;
    for (size_t i = 0; i < n; ++i) want += static_cast<long double>(x->f32()[i]) * x->f32()[i];
    double s1 = 0, s3 = 0;
    const Tensor xs = x->rows(0, static_cast<int64_t>(n));
    test::with_threads(1, [&] { s1 = kernels::sum_squares(xs); });
    test::with_threads(3, [&] { s3 = kernels::sum_squares(xs); });
    EXPECT_NEAR(s1, static_cast<double>(want), 1e-12 * static_cast<double>(want) + 1e-300);
    EXPECT_EQ(s1, s3);
  }
}

}  // namespace
}  // namespace ascent
