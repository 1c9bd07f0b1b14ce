#include <gtest/gtest.h>

#include <cmath>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

double silu(double g) { return g / (1.0 + std::exp(-g)); }

Vec swiglu_ref(const Vec& gu, int64_t N, int64_t F) {
  Vec y(N * F);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < F; ++j) y[n * F + j] = silu(gu[n * 2 * F + j]) * gu[n * 2 * F + F + j];
  return y;
}

double gelu(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

Vec gelu_ref(const Vec& x) {
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = gelu(x[i]);
  return y;
}

TEST(SwiGLU, ForwardAndBackward) {
  for (auto [N, F] : test::kRowShapes) {
    SCOPED_TRACE(test::shape_name(N, F));
    auto gu = test::randn({N, 2 * F}, 1, 2.f), y = test::zeros({N, F});
    const Vec vgu = test::to_vec(*gu);
    kernels::swiglu_forward(*gu, *y);
    EXPECT_TRUE(test::near(*y, swiglu_ref(vgu, N, F), 1e-6));

    auto dy = test::randn({N, F}, 2);
    auto dgu = test::randn({N, 2 * F}, 3);  // overwritten
    const Vec vdy = test::to_vec(*dy);
    kernels::swiglu_backward(*dy, *gu, *dgu);
    auto loss = [&](const Vec& v) { return test::dot(vdy, swiglu_ref(v, N, F)); };
    EXPECT_TRUE(test::matches_finite_diff(loss, vgu, test::to_vec(*dgu), 1e-5, 96));
  }
}

TEST(Gelu, ForwardAndBackward) {
  for (auto [N, C] : test::kRowShapes) {
    SCOPED_TRACE(test::shape_name(N, C));
    auto x = test::randn({N, C}, 1, 2.f), y = test::zeros({N, C});
    const Vec vx = test::to_vec(*x);
    kernels::gelu_forward(*x, *y);
    EXPECT_TRUE(test::near(*y, gelu_ref(vx), 1e-6));

    auto dy = test::randn({N, C}, 2), dx = test::randn({N, C}, 3);  // dx overwritten
    const Vec vdy = test::to_vec(*dy);
    kernels::gelu_backward(*dy, *x, *dx);
    auto loss = [&](const Vec& v) { return test::dot(vdy, gelu_ref(v)); };
    EXPECT_TRUE(test::matches_finite_diff(loss, vx, test::to_vec(*dx), 1e-5, 96));
    kernels::gelu_backward(*dy, *x, *dy);  // in place
    EXPECT_TRUE(test::bitwise_equal(*dy, *dx));
  }
}

// Large and tiny inputs: no NaN or inf, and the asymptotes are right.
TEST(Activations, SaturateCleanly) {
  const std::vector<float> xs = {-1000.f, -90.f, -20.f, -1e-6f, 0.f, 1e-6f, 20.f, 90.f, 1000.f};
  const int64_t n = static_cast<int64_t>(xs.size());
  OwnedTensor x(DType::F32, {n}), y(DType::F32, {n}), dy(DType::F32, {n}), dx(DType::F32, {n});
  std::copy(xs.begin(), xs.end(), x->f32());
  kernels::fill(*dy, 1.f);
  kernels::gelu_forward(*x, *y);
  kernels::gelu_backward(*dy, *x, *dx);
  Vec want_y, want_dx;
  for (float v : xs) {
    want_y.push_back(gelu(v));
    want_dx.push_back(v > 10 ? 1.0 : v < -10 ? 0.0 : (gelu(v + 1e-6) - gelu(v - 1e-6)) / 2e-6);
  }
  EXPECT_TRUE(test::near(*y, want_y, 1e-7, 1.0));
  EXPECT_TRUE(test::near(*dx, want_dx, 1e-6, 1.0));

  OwnedTensor gu(DType::F32, {n, 2}), s(DType::F32, {n, 1}), dgu(DType::F32, {n, 2});
  for (int64_t i = 0; i < n; ++i) {
    gu->f32()[2 * i] = xs[i];
    gu->f32()[2 * i + 1] = 1.f;
  }
  kernels::swiglu_forward(*gu, *s);
  kernels::swiglu_backward(dy->view({n, 1}), *gu, *dgu);
  Vec want_s, want_dgate;
  for (float v : xs) {
    want_s.push_back(silu(v));
    const double sg = 1.0 / (1.0 + std::exp(-double(v)));
    want_dgate.push_back(sg * (1.0 + v * (1.0 - sg)));
  }
  EXPECT_TRUE(test::near(*s, want_s, 1e-7, 1.0));
  Vec got_dgate;
  for (int64_t i = 0; i < n; ++i) got_dgate.push_back(dgu->f32()[2 * i]);
  EXPECT_TRUE(test::near(got_dgate, want_dgate, 1e-6, 1.0));
}

}  // namespace
}  // namespace ascent
