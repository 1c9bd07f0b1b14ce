#include <gtest/gtest.h>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

struct MatmulCase {
  int64_t M, N, K;
};
constexpr MatmulCase kCases[] = {{1, 1, 1}, {5, 7, 3}, {33, 17, 64}, {64, 288, 96}, {130, 65, 257}};

// op(a) is [M, K]: element (m, k) of a stored [M, K], or [K, M] when transposed.
double at(const Vec& a, bool trans, int64_t rows, int64_t cols, int64_t r, int64_t c) {
  return trans ? a[c * rows + r] : a[r * cols + c];
}

Vec reference(const Vec& a, bool ta, const Vec& b, bool tb, const Vec& c0, const MatmulCase& s,
              bool accumulate) {
  Vec c(static_cast<size_t>(s.M * s.N));
  for (int64_t m = 0; m < s.M; ++m)
    for (int64_t n = 0; n < s.N; ++n) {
      double acc = accumulate ? c0[m * s.N + n] : 0.0;
      for (int64_t k = 0; k < s.K; ++k)
        acc += at(a, ta, s.M, s.K, m, k) * at(b, tb, s.K, s.N, k, n);
      c[m * s.N + n] = acc;
    }
  return c;
}

void check_matmul(DType dtype, bool ta, bool tb, bool accumulate, const MatmulCase& s) {
  SCOPED_TRACE(testing::Message() << dtype_name(dtype) << " M=" << s.M << " N=" << s.N << " K="
                                  << s.K << " ta=" << ta << " tb=" << tb << " acc=" << accumulate);
  auto a32 = ta ? test::randn({s.K, s.M}, 1) : test::randn({s.M, s.K}, 1);
  auto b32 = tb ? test::randn({s.N, s.K}, 2) : test::randn({s.K, s.N}, 2);
  auto c = test::randn({s.M, s.N}, 3);
  OwnedTensor a(dtype, {a32->size(0), a32->size(1)}), b(dtype, {b32->size(0), b32->size(1)});
  copy_convert(*a32, *a);
  copy_convert(*b32, *b);
  // The reference uses the operands as the kernel sees them (rounded to bf16 / f16).
  const Vec want =
      reference(test::to_vec(*a), ta, test::to_vec(*b), tb, test::to_vec(*c), s, accumulate);
  kernels::matmul(*a, ta, *b, tb, *c, accumulate);
  EXPECT_TRUE(test::near(*c, want, dtype == DType::F32 ? 1e-5 : 1e-4));
}

TEST(Matmul, AllTransposesAccumulateAndDtypes) {
  for (DType dtype : {DType::F32, DType::BF16, DType::F16})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (bool acc : {false, true})
          for (const MatmulCase& s : kCases) check_matmul(dtype, ta, tb, acc, s);
}

// The cached primitive must bind the buffers of each call, not those of the first one.
TEST(Matmul, CachedPlanUsesNewBuffers) {
  const MatmulCase s{9, 11, 13};
  for (int round = 0; round < 3; ++round) {
    auto a = test::randn({s.M, s.K}, 10 + round);
    auto b = test::randn({s.N, s.K}, 20 + round);
    auto c = test::zeros({s.M, s.N});
    const Vec want = reference(test::to_vec(*a), false, test::to_vec(*b), true, {}, s, false);
    kernels::matmul(*a, false, *b, true, *c, false);
    EXPECT_TRUE(test::near(*c, want, 1e-5)) << "round " << round;
  }
}

// bf16 / f16 inputs must really be treated as such: products of the f32 originals differ
// measurably.
TEST(Matmul, HalfPrecisionReferenceIsNotF32) {
  const MatmulCase s{16, 16, 64};
  for (DType dtype : {DType::BF16, DType::F16}) {
    auto a32 = test::randn({s.M, s.K}, 5), b32 = test::randn({s.K, s.N}, 6);
    OwnedTensor a(dtype, {s.M, s.K}), b(dtype, {s.K, s.N});
    copy_convert(*a32, *a);
    copy_convert(*b32, *b);
    auto c = test::zeros({s.M, s.N});
    kernels::matmul(*a, false, *b, false, *c, false);
    const Vec exact =
        reference(test::to_vec(*a32), false, test::to_vec(*b32), false, {}, s, false);
    EXPECT_FALSE(test::near(*c, exact, dtype == DType::BF16 ? 1e-4 : 1e-6)) << dtype_name(dtype);
  }
}

TEST(MatmulDeathTest, RejectsMismatchedInnerDim) {
  auto a = test::zeros({4, 5});
  auto b = test::zeros({6, 3});
  auto c = test::zeros({4, 3});
  EXPECT_DEATH(kernels::matmul(*a, false, *b, false, *c, false), "matmul shapes");
}

}  // namespace
}  // namespace ascent
