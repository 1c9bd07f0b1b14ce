#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "core/rng.h"

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

struct CeCase {
  int64_t N, V;
};
// V above the kernel's 1024-logit block exercises the running-max rescale.
constexpr CeCase kCases[] = {{1, 7}, {5, 33}, {4, 1000}, {3, 5000}};

std::vector<int32_t> targets_for(int64_t N, int64_t V) {
  std::vector<int32_t> t(N);
  for (int64_t n = 0; n < N; ++n)
    t[n] = (n % 3 == 2) ? kernels::kIgnoreIndex : int32_t((n * 37 + 5) % V);
  return t;
}

double row_lse(const Vec& x, int64_t n, int64_t V) {
  double m = -INFINITY, s = 0;
  for (int64_t i = 0; i < V; ++i) m = std::max(m, x[n * V + i]);
  for (int64_t i = 0; i < V; ++i) s += std::exp(x[n * V + i] - m);
  return m + std::log(s);
}

Vec losses_ref(const Vec& x, const std::vector<int32_t>& t, int64_t N, int64_t V, double z) {
  Vec l(N, 0.0);
  for (int64_t n = 0; n < N; ++n) {
    if (t[n] == kernels::kIgnoreIndex) continue;
    const double lse = row_lse(x, n, V);
    l[n] = lse - x[n * V + t[n]] + z * lse * lse;
  }
  return l;
}

// Logits with a trend along the row, so later blocks hold larger maxima.
OwnedTensor logits_for(int64_t N, int64_t V) {
  auto x = test::randn({N, V}, 1, 3.f);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < V; ++i) x->f32()[n * V + i] += 4.f * float(i) / float(V);
  return x;
}

TEST(CrossEntropy, ForwardBackwardWithZLoss) {
  for (const CeCase& c : kCases)
    for (float z : {0.f, 0.01f}) {
      SCOPED_TRACE(testing::Message() << "N=" << c.N << " V=" << c.V << " z=" << z);
      const auto t = targets_for(c.N, c.V);
      auto x = logits_for(c.N, c.V);
      auto losses = test::zeros({c.N}), lse = test::zeros({c.N});
      const Vec vx = test::to_vec(*x);
      kernels::cross_entropy_forward(*x, t.data(), z, *losses, *lse);
      EXPECT_TRUE(test::near(*losses, losses_ref(vx, t, c.N, c.V, z), 1e-6));
      for (int64_t n = 0; n < c.N; ++n) {
        if (t[n] != kernels::kIgnoreIndex) {
          EXPECT_NEAR(lse->f32()[n], row_lse(vx, n, c.V), 1e-5);
        }
      }

      const float grad_scale = 0.25f;
      auto dx = test::randn({c.N, c.V}, 2);  // overwritten
      kernels::cross_entropy_backward(*x, t.data(), *lse, z, grad_scale, *dx);
      auto loss = [&](const Vec& v) {
        Vec l = losses_ref(v, t, c.N, c.V, z);
        double s = 0;
        for (double e : l) s += grad_scale * e;
        return s;
      };
      const Vec grad = test::to_vec(*dx);
      EXPECT_TRUE(test::matches_finite_diff(loss, vx, grad, 1e-4, 64));
      for (int64_t n = 0; n < c.N; ++n) {
        if (t[n] != kernels::kIgnoreIndex) continue;
        for (int64_t i = 0; i < c.V; ++i) ASSERT_EQ(grad[n * c.V + i], 0.0);
      }
      // Each valid row of the gradient sums to grad_scale * 2 z lse (softmax sums to one).
      for (int64_t n = 0; n < c.N; ++n) {
        if (t[n] == kernels::kIgnoreIndex) continue;
        double s = 0;
        for (int64_t i = 0; i < c.V; ++i) s += grad[n * c.V + i];
        EXPECT_NEAR(s, grad_scale * 2 * z * lse->f32()[n], 1e-5);
      }

      // In place (dlogits aliases logits) gives the same bits.
      kernels::cross_entropy_backward(*x, t.data(), *lse, z, grad_scale, *x);
      EXPECT_TRUE(test::bitwise_equal(*x, *dx));
    }
}

// Logits far from zero: the online max keeps exp in range.
TEST(CrossEntropy, LargeLogitsStayFinite) {
  const int64_t N = 2, V = 3000;
  auto x = test::randn({N, V}, 3);
  for (int64_t i = 0; i < N * V; ++i) x->f32()[i] = x->f32()[i] + (i % V > 2000 ? 500.f : -500.f);
  const std::vector<int32_t> t = {2500, 10};
  auto losses = test::zeros({N}), lse = test::zeros({N});
  kernels::cross_entropy_forward(*x, t.data(), 0.f, *losses, *lse);
  EXPECT_TRUE(test::near(*losses, losses_ref(test::to_vec(*x), t, N, V, 0.0), 1e-6));
  EXPECT_GT(losses->f32()[1], 900.f);
}

// The fused kernel of training gives exactly the forward's losses and the backward's gradients.
TEST(CrossEntropy, FusedEqualsForwardThenBackward) {
  for (const auto& [N, V] : {std::pair<int64_t, int64_t>{5, 7}, {33, 1000}, {64, 3001}}) {
    OwnedTensor logits(DType::F32, {N, V}), fused(DType::F32, {N, V}), dl(DType::F32, {N, V});
    OwnedTensor losses(DType::F32, {N}), lse(DType::F32, {N}), fused_losses(DType::F32, {N});
    Rng r(5, static_cast<uint64_t>(V));
    std::vector<int32_t> targets(static_cast<size_t>(N));
    for (int64_t i = 0; i < N * V; ++i) logits->f32()[i] = 3.f * r.normal(static_cast<uint64_t>(i));
    for (int64_t n = 0; n < N; ++n)
      targets[n] = n % 4 == 1 ? kernels::kIgnoreIndex
                              : static_cast<int32_t>(r.uniform(static_cast<uint64_t>(N * V + n)) * V);
    std::memcpy(fused->data(), logits->data(), logits->nbytes());
    kernels::cross_entropy_forward(*logits, targets.data(), 1e-3f, *losses, *lse);
    kernels::cross_entropy_backward(*logits, targets.data(), *lse, 1e-3f, 0.25f, *dl);
    kernels::cross_entropy_forward_backward(*fused, targets.data(), 1e-3f, 0.25f, *fused_losses);
    EXPECT_EQ(std::memcmp(losses->data(), fused_losses->data(), losses->nbytes()), 0) << N << "x" << V;
    EXPECT_EQ(std::memcmp(dl->data(), fused->data(), dl->nbytes()), 0) << N << "x" << V;
  }
}

}  // namespace
}  // namespace ascent
