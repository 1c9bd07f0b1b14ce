// Dropout: the mask rule (16 bits of a Philox word against p * 2^16), the vectorised mask maker
// against it at every alignment and for keys with high bits set, mask statistics,
// dropout_add_forward / dropout_backward against a reference that regenerates the mask, and
// determinism across thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

// Sizes around the parallel block (2^14) and the mask chunk (1024).
constexpr int64_t kSizes[] = {1, 7, 1000, 1025, 16384, 70001};

// The rule as kernels.h states it, from core's scalar Philox: 16 bits of one Philox word per
// element, 8 consecutive counters per 64 consecutive elements.
bool spec_keep(uint64_t seed, uint64_t stream, uint64_t index, float p) {
  const uint64_t g = index / 64, k = index % 64;
  uint32_t w[4];
  Philox::block(seed, stream, 8 * g + k % 8, w);
  const uint32_t bits = (k / 8) % 2 == 0 ? w[k / 16] & 0xffffu : w[k / 16] >> 16;
  return bits >= std::nearbyint(static_cast<double>(p) * 65536.0);
}

TEST(Dropout, KeepFollowsThePhiloxRule) {
  for (float p : {0.f, 0.1f, 0.5f, 0.9f}) {
    for (uint64_t i = 0; i < 4000; ++i) {
      ASSERT_EQ(kernels::dropout_keep(3, 9, i, p), spec_keep(3, 9, i, p))
          << "p " << p << " i " << i;
      ASSERT_EQ(kernels::dropout_keep(~0ull, 1ull << 40, i + (1ull << 33), p),
                spec_keep(~0ull, 1ull << 40, i + (1ull << 33), p));
    }
  }
}

// The vectorised mask maker at every alignment of its first index and many lengths.
TEST(Dropout, MaskMatchesKeepAtEveryAlignment) {
  struct Key {
    uint64_t seed, stream;
  };
  std::vector<float> m(3000);
  for (const Key key : {Key{77, 4}, Key{0xDEADBEEF12345678ull, (1ull << 40) | 5}}) {
    for (float p : {0.3f, 0.05f}) {
      const float keep = 1.f / (1.f - p);
      for (uint64_t first : {0ull, 1ull, 3ull, 63ull, 64ull, 65ull, 1023ull, (1ull << 38) + 2}) {
        for (int64_t n : {1, 2, 5, 17, 63, 64, 65, 128, 1023, 1025, 3000}) {
          std::fill(m.begin(), m.end(), -1.f);
          kernels::dropout_mask(key.seed, key.stream, first, n, p, m.data());
          for (int64_t k = 0; k < n; ++k) {
            const float want = spec_keep(key.seed, key.stream, first + k, p) ? keep : 0.f;
            ASSERT_EQ(m[k], want) << "first " << first << " n " << n << " k " << k;
          }
          if (n < 3000) {
            ASSERT_EQ(m[n], -1.f) << "wrote past n = " << n;
          }
        }
      }
    }
  }
}

// Keep fraction ~ 1 - p (5 sigma of a binomial), kept elements scaled by 1 / (1 - p); another
// stream or seed gives an independent mask (disagreement ~ 2 p (1 - p)).
TEST(Dropout, MaskStatistics) {
  const int64_t n = 1 << 20;
  std::vector<float> a(n), b(n), c(n);
  for (float p : {0.f, 0.1f, 0.5f, 0.9f}) {
    SCOPED_TRACE(p);
    kernels::dropout_mask(5, 0, 0, n, p, a.data());
    kernels::dropout_mask(5, 1, 0, n, p, b.data());
    kernels::dropout_mask(6, 0, 0, n, p, c.data());
    int64_t kept = 0, differ_stream = 0, differ_seed = 0;
    for (int64_t k = 0; k < n; ++k) {
      ASSERT_TRUE(a[k] == 0.f || a[k] == 1.f / (1.f - p)) << k;
      kept += a[k] != 0.f;
      differ_stream += (a[k] != 0.f) != (b[k] != 0.f);
      differ_seed += (a[k] != 0.f) != (c[k] != 0.f);
    }
    const double q = 1.0 - p, sigma = std::sqrt(n * q * (1 - q));
    EXPECT_NEAR(static_cast<double>(kept), n * q, 5 * sigma + 0.5);
    const double r = 2 * q * (1 - q), sigma_r = std::sqrt(n * r * (1 - r));
    EXPECT_NEAR(static_cast<double>(differ_stream), n * r, 5 * sigma_r + 0.5);
    EXPECT_NEAR(static_cast<double>(differ_seed), n * r, 5 * sigma_r + 0.5);
  }
  kernels::dropout_mask(5, 0, 0, n, 0.f, a.data());
  for (int64_t k = 0; k < n; ++k) ASSERT_EQ(a[k], 1.f) << k;
}

// The reference mask M / (1 - p) of element k.
Vec ref_mask(int64_t n, float p, uint64_t seed, uint64_t stream) {
  Vec m(n);
  for (int64_t k = 0; k < n; ++k)
    m[k] = kernels::dropout_keep(seed, stream, k, p) ? 1.0 / (1.0 - static_cast<double>(p)) : 0.0;
  return m;
}

TEST(Dropout, AddForwardMatchesReference) {
  for (int64_t n : kSizes) {
    for (float p : {0.f, 0.2f, 0.7f}) {
      SCOPED_TRACE(testing::Message() << "n " << n << " p " << p);
      auto x = test::randn({n}, 1), residual = test::randn({n}, 2);
      const Vec vx = test::to_vec(*x), vr = test::to_vec(*residual), m = ref_mask(n, p, 11, 3);
      Vec want(n);
      for (int64_t k = 0; k < n; ++k) want[k] = vr[k] + vx[k] * m[k];
      kernels::dropout_add_forward(*x, p, 11, 3, *residual);
      EXPECT_TRUE(test::near(*residual, want, 1e-6));
      EXPECT_TRUE(test::near(*x, vx, 0.0)) << "x must be read only";
    }
  }
}

TEST(Dropout, BackwardMatchesReference) {
  for (int64_t n : kSizes) {
    for (float p : {0.f, 0.2f, 0.7f}) {
      SCOPED_TRACE(testing::Message() << "n " << n << " p " << p);
      auto dy = test::randn({n}, 3), dx = test::randn({n}, 4);  // dx is overwritten
      const Vec vdy = test::to_vec(*dy), m = ref_mask(n, p, 11, 3);
      Vec want(n);
      for (int64_t k = 0; k < n; ++k) want[k] = static_cast<float>(vdy[k] * m[k]);
      kernels::dropout_backward(*dy, p, 11, 3, *dx);
      EXPECT_TRUE(test::near(*dx, want, 1e-6));
      kernels::dropout_backward(*dy, p, 11, 3, *dy);  // in place
      EXPECT_TRUE(test::near(*dy, want, 1e-6));
    }
  }
}

// Backward is the adjoint of forward with the same key: <dy, d residual> == <dropout'(dy), x>.
TEST(Dropout, BackwardIsAdjointOfForward) {
  const int64_t n = 70001;
  const float p = 0.4f;
  auto x = test::randn({n}, 5), dy = test::randn({n}, 6), dx = test::zeros({n});
  auto residual = test::zeros({n});
  kernels::dropout_add_forward(*x, p, 21, 8, *residual);
  kernels::dropout_backward(*dy, p, 21, 8, *dx);
  const double lhs = test::dot(test::to_vec(*dy), test::to_vec(*residual));
  const double rhs = test::dot(test::to_vec(*dx), test::to_vec(*x));
  EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::abs(lhs)));
  // And a different key is a different mask.
  auto other = test::zeros({n});
  kernels::dropout_add_forward(*x, p, 22, 8, *other);
  EXPECT_FALSE(test::bitwise_equal(*residual, *other));
}

TEST(Dropout, DeterministicAcrossThreadCounts) {
  const int64_t n = 70001;
  auto x = test::randn({n}, 7), r0 = test::randn({n}, 8);
  auto want_r = test::copy_of(*r0), want_dx = test::zeros({n});
  test::with_threads(1, [&] {
    kernels::dropout_add_forward(*x, 0.3f, 1, 2, *want_r);
    kernels::dropout_backward(*x, 0.3f, 1, 2, *want_dx);
  });
  for (int threads : {2, 3}) {
    auto r = test::copy_of(*r0), dx = test::zeros({n});
    test::with_threads(threads, [&] {
      kernels::dropout_add_forward(*x, 0.3f, 1, 2, *r);
      kernels::dropout_backward(*x, 0.3f, 1, 2, *dx);
    });
    EXPECT_TRUE(test::bitwise_equal(*r, *want_r)) << threads << " threads";
    EXPECT_TRUE(test::bitwise_equal(*dx, *want_dx)) << threads << " threads";
  }
}

}  // namespace
}  // namespace ascent
