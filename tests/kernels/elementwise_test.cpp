#include <gtest/gtest.h>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

// Sizes around the parallel block (2^15) so both the single- and multi-block paths run.
constexpr int64_t kSizes[] = {1, 7, 1000, 32768, 70001};

TEST(Elementwise, FillScaleAdd) {
  for (int64_t n : kSizes) {
    SCOPED_TRACE(n);
    auto x = test::randn({n}, 1);
    kernels::fill(*x, 2.5f);
    EXPECT_TRUE(test::near(*x, Vec(n, 2.5), 0.0));

    auto a = test::randn({n}, 2), b = test::randn({n}, 3), y = test::zeros({n});
    const Vec va = test::to_vec(*a), vb = test::to_vec(*b);
    Vec sum(n), scaled(n);
    for (int64_t i = 0; i < n; ++i) {
      sum[i] = static_cast<float>(va[i] + vb[i]);
      scaled[i] = static_cast<float>(va[i] * -3.f);
    }
    kernels::add(*a, *b, *y);
    EXPECT_TRUE(test::near(*y, sum, 0.0));
    kernels::add(*a, *b, *a);  // y aliases a
    EXPECT_TRUE(test::near(*a, sum, 0.0));
    kernels::add_inplace(*y, *b);
    Vec twice(n);
    for (int64_t i = 0; i < n; ++i)
      twice[i] = static_cast<float>(static_cast<float>(sum[i]) + static_cast<float>(vb[i]));
    EXPECT_TRUE(test::near(*y, twice, 0.0));
    auto s = test::randn({n}, 2);
    kernels::scale(*s, -3.f);
    EXPECT_TRUE(test::near(*s, scaled, 0.0));
  }
}

// Every dtype pair against core's scalar conversions, including NaN, infinities, ties and
// values that overflow f16.
TEST(Elementwise, CastAllDtypePairs) {
  const int64_t n = 70001;
  auto src32 = test::randn({n}, 4, 1000.f);
  float* p = src32->f32();
  p[0] = std::nanf("");
  p[1] = INFINITY;
  p[2] = -INFINITY;
  p[3] = 70000.f;                // overflows f16
  p[4] = bits_f32(0x3f808000u);  // bf16 tie
  p[5] = 1e-6f;                  // f16 subnormal
  for (DType from : {DType::F32, DType::BF16, DType::F16}) {
    OwnedTensor src(from, {n});
    copy_convert(*src32, *src);
    for (DType to : {DType::F32, DType::BF16, DType::F16}) {
      SCOPED_TRACE(testing::Message() << dtype_name(from) << " -> " << dtype_name(to));
      OwnedTensor got(to, {n}), want(to, {n});
      kernels::cast(*src, *got);
      copy_convert(*src, *want);  // one rounding from the exact f32 value, as cast promises
      const Vec g = test::to_vec(*got), w = test::to_vec(*want);
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(w[i])) {
          ASSERT_TRUE(std::isnan(g[i])) << i;
        } else {
          ASSERT_EQ(g[i], w[i]) << i;
        }
      }
    }
  }
  // Spot values pin down the rounding itself (copy_convert is tested in core).
  OwnedTensor h(DType::BF16, {n});
  kernels::cast(*src32, *h);
  EXPECT_EQ(h->bf16()[4], 0x3f80);  // tie rounds to even
  EXPECT_EQ(h->bf16()[1], 0x7f80);
  OwnedTensor f(DType::F16, {n});
  kernels::cast(*src32, *f);
  EXPECT_EQ(f->f16()[3], 0x7c00);  // overflow -> inf
}

Vec bias_reference(const Vec& y, const Vec& b, int64_t N, int64_t M) {
  Vec out(y);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) out[n * M + m] += b[m];
  return out;
}

TEST(Elementwise, BiasForwardAndBackward) {
  for (auto [N, M] : test::kRowShapes) {
    SCOPED_TRACE(test::shape_name(N, M));
    auto y = test::randn({N, M}, 1), b = test::randn({M}, 2);
    const Vec vy = test::to_vec(*y), vb = test::to_vec(*b);
    kernels::bias_forward(*y, *b);
    EXPECT_TRUE(test::near(*y, bias_reference(vy, vb, N, M), 1e-6));

    auto dy = test::randn({N, M}, 3), db = test::randn({M}, 4);
    const Vec db0 = test::to_vec(*db), vdy = test::to_vec(*dy);
    kernels::bias_backward(*dy, *db);
    auto loss = [&](const Vec& bias) { return test::dot(vdy, bias_reference(vy, bias, N, M)); };
    EXPECT_TRUE(test::matches_finite_diff(loss, vb, test::minus(test::to_vec(*db), db0), 1e-5));
  }
}

TEST(Elementwise, BiasBackwardIndependentOfThreads) {
  auto dy = test::randn({3000, 300}, 5);
  auto db1 = test::zeros({300}), db2 = test::zeros({300});
  test::with_threads(1, [&] { kernels::bias_backward(*dy, *db1); });
  test::with_threads(3, [&] { kernels::bias_backward(*dy, *db2); });
  EXPECT_TRUE(test::bitwise_equal(*db1, *db2));
}

}  // namespace
}  // namespace ascent
