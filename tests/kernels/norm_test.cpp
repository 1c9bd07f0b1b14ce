#include <gtest/gtest.h>

#include <cmath>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

constexpr float kEps = 1e-5f;

Vec rmsnorm_ref(const Vec& x, const Vec& w, int64_t N, int64_t C, Vec* rstd = nullptr) {
  Vec y(x.size());
  for (int64_t n = 0; n < N; ++n) {
    double ss = 0;
    for (int64_t j = 0; j < C; ++j) ss += x[n * C + j] * x[n * C + j];
    const double r = 1.0 / std::sqrt(ss / C + kEps);
    if (rstd) rstd->push_back(r);
    for (int64_t j = 0; j < C; ++j) y[n * C + j] = x[n * C + j] * r * w[j];
  }
  return y;
}

Vec layernorm_ref(const Vec& x, const Vec& w, const Vec& b, int64_t N, int64_t C,
                  Vec* mean = nullptr, Vec* rstd = nullptr) {
  Vec y(x.size());
  for (int64_t n = 0; n < N; ++n) {
    double m = 0, v = 0;
    for (int64_t j = 0; j < C; ++j) m += x[n * C + j];
    m /= C;
    for (int64_t j = 0; j < C; ++j) v += (x[n * C + j] - m) * (x[n * C + j] - m);
    const double r = 1.0 / std::sqrt(v / C + kEps);
    if (mean) mean->push_back(m);
    if (rstd) rstd->push_back(r);
    for (int64_t j = 0; j < C; ++j) y[n * C + j] = (x[n * C + j] - m) * r * w[j] + b[j];
  }
  return y;
}

Vec l2norm_ref(const Vec& w, int64_t R, int64_t C, Vec* norm = nullptr) {
  Vec y(w.size());
  for (int64_t r = 0; r < R; ++r) {
    double ss = 0;
    for (int64_t j = 0; j < C; ++j) ss += w[r * C + j] * w[r * C + j];
    const double nr = std::max(std::sqrt(ss), 1e-12);
    if (norm) norm->push_back(nr);
    for (int64_t j = 0; j < C; ++j) y[r * C + j] = w[r * C + j] / nr;
  }
  return y;
}

TEST(RmsNorm, ForwardAndBackward) {
  for (auto [N, C] : test::kRowShapes) {
    SCOPED_TRACE(test::shape_name(N, C));
    auto x = test::randn({N, C}, 1), w = test::randn({C}, 2, 0.5f, 1.f);
    auto y = test::zeros({N, C}), rstd = test::zeros({N});
    kernels::rmsnorm_forward(*x, *w, kEps, *y, *rstd);
    const Vec vx = test::to_vec(*x), vw = test::to_vec(*w);
    Vec want_rstd;
    EXPECT_TRUE(test::near(*y, rmsnorm_ref(vx, vw, N, C, &want_rstd), 1e-5));
    EXPECT_TRUE(test::near(*rstd, want_rstd, 1e-5));

    auto dy = test::randn({N, C}, 3), dx = test::randn({N, C}, 4), dw = test::randn({C}, 5);
    const Vec vdy = test::to_vec(*dy), dx0 = test::to_vec(*dx), dw0 = test::to_vec(*dw);
    kernels::rmsnorm_backward(*dy, *x, *w, *rstd, *dx, *dw);
    auto loss_x = [&](const Vec& v) { return test::dot(vdy, rmsnorm_ref(v, vw, N, C)); };
    auto loss_w = [&](const Vec& v) { return test::dot(vdy, rmsnorm_ref(vx, v, N, C)); };
    EXPECT_TRUE(test::matches_finite_diff(loss_x, vx, test::minus(test::to_vec(*dx), dx0), 1e-4));
    EXPECT_TRUE(test::matches_finite_diff(loss_w, vw, test::minus(test::to_vec(*dw), dw0), 1e-4));
  }
}

TEST(LayerNorm, ForwardAndBackward) {
  for (auto [N, C] : test::kRowShapes) {
    // One column has zero variance: rstd = 1/sqrt(eps) only amplifies rounding, nothing to test.
    if (C == 1) continue;
    SCOPED_TRACE(test::shape_name(N, C));
    // A mean offset makes the centring matter.
    auto x = test::randn({N, C}, 1, 1.f, 3.f), w = test::randn({C}, 2, 0.5f, 1.f);
    auto b = test::randn({C}, 6);
    auto y = test::zeros({N, C}), mean = test::zeros({N}), rstd = test::zeros({N});
    kernels::layernorm_forward(*x, *w, *b, kEps, *y, *mean, *rstd);
    const Vec vx = test::to_vec(*x), vw = test::to_vec(*w), vb = test::to_vec(*b);
    Vec want_mean, want_rstd;
    EXPECT_TRUE(test::near(*y, layernorm_ref(vx, vw, vb, N, C, &want_mean, &want_rstd), 1e-5));
    EXPECT_TRUE(test::near(*mean, want_mean, 1e-6));
    EXPECT_TRUE(test::near(*rstd, want_rstd, 1e-4));

    auto dy = test::randn({N, C}, 3), dx = test::randn({N, C}, 4);
    auto dw = test::randn({C}, 5), db = test::randn({C}, 7);
    const Vec vdy = test::to_vec(*dy), dx0 = test::to_vec(*dx);
    const Vec dw0 = test::to_vec(*dw), db0 = test::to_vec(*db);
    kernels::layernorm_backward(*dy, *x, *w, *mean, *rstd, *dx, *dw, *db);
    auto loss_x = [&](const Vec& v) { return test::dot(vdy, layernorm_ref(v, vw, vb, N, C)); };
    auto loss_w = [&](const Vec& v) { return test::dot(vdy, layernorm_ref(vx, v, vb, N, C)); };
    auto loss_b = [&](const Vec& v) { return test::dot(vdy, layernorm_ref(vx, vw, v, N, C)); };
    EXPECT_TRUE(test::matches_finite_diff(loss_x, vx, test::minus(test::to_vec(*dx), dx0), 1e-4));
    EXPECT_TRUE(test::matches_finite_diff(loss_w, vw, test::minus(test::to_vec(*dw), dw0), 1e-4));
    EXPECT_TRUE(test::matches_finite_diff(loss_b, vb, test::minus(test::to_vec(*db), db0), 1e-4));
  }
}

TEST(L2NormRows, ForwardAndBackward) {
  for (auto [R, C] : test::kRowShapes) {
    SCOPED_TRACE(test::shape_name(R, C));
    auto w = test::randn({R, C}, 1);
    auto y = test::zeros({R, C}), norm = test::zeros({R});
    kernels::l2norm_rows_forward(*w, *y, *norm);
    const Vec vw = test::to_vec(*w);
    Vec want_norm;
    EXPECT_TRUE(test::near(*y, l2norm_ref(vw, R, C, &want_norm), 1e-5));
    EXPECT_TRUE(test::near(*norm, want_norm, 1e-5));

    auto dy = test::randn({R, C}, 3), dw = test::randn({R, C}, 4);
    const Vec vdy = test::to_vec(*dy), dw0 = test::to_vec(*dw);
    kernels::l2norm_rows_backward(*dy, *y, *norm, *dw);
    auto loss = [&](const Vec& v) { return test::dot(vdy, l2norm_ref(v, R, C)); };
    EXPECT_TRUE(test::matches_finite_diff(loss, vw, test::minus(test::to_vec(*dw), dw0), 1e-4));
  }
}

TEST(Norm, ParameterGradientsIndependentOfThreads) {
  const int64_t N = 3000, C = 300;
  auto x = test::randn({N, C}, 1), w = test::randn({C}, 2), b = test::randn({C}, 3);
  auto dy = test::randn({N, C}, 4), y = test::zeros({N, C});
  auto mean = test::zeros({N}), rstd = test::zeros({N});
  kernels::layernorm_forward(*x, *w, *b, kEps, *y, *mean, *rstd);
  auto run = [&](int threads, Tensor dx, Tensor dw, Tensor db) {
    test::with_threads(threads, [&] {
      kernels::layernorm_backward(*dy, *x, *w, *mean, *rstd, dx, dw, db);
      kernels::rmsnorm_backward(*dy, *x, *w, *rstd, dx, dw);
    });
  };
  auto dx1 = test::zeros({N, C}), dw1 = test::zeros({C}), db1 = test::zeros({C});
  auto dx2 = test::zeros({N, C}), dw2 = test::zeros({C}), db2 = test::zeros({C});
  run(1, *dx1, *dw1, *db1);
  run(3, *dx2, *dw2, *db2);
  EXPECT_TRUE(test::bitwise_equal(*dx1, *dx2));
  EXPECT_TRUE(test::bitwise_equal(*dw1, *dw2));
  EXPECT_TRUE(test::bitwise_equal(*db1, *db2));
}

}  // namespace
}  // namespace ascent
