#include "core/rng.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

namespace ascent {
namespace {

// Known-answer vectors of Philox4x32-10 from Random123 (kat_vectors): counter words c0..c3 are
// (ctr_lo low, ctr_lo high, ctr_hi low, ctr_hi high), key words (key low, key high).
TEST(Philox, KnownAnswers) {
  uint32_t out[4];
  Philox::block(0, 0, 0, out);
  EXPECT_EQ(out[0], 0x6627e8d5u);
  EXPECT_EQ(out[1], 0xe169c58du);
  EXPECT_EQ(out[2], 0xbc57ac4cu);
  EXPECT_EQ(out[3], 0x9b00dbd8u);
  Philox::block(~0ull, ~0ull, ~0ull, out);
  EXPECT_EQ(out[0], 0x408f276du);
  EXPECT_EQ(out[1], 0x41c83b0eu);
  EXPECT_EQ(out[2], 0xa20bc7c6u);
  EXPECT_EQ(out[3], 0x6d5451fdu);
  Philox::block(0x299f31d0a4093822ull, 0x0370734413198a2eull, 0x85a308d3243f6a88ull, out);
  EXPECT_EQ(out[0], 0xd16cfe09u);
  EXPECT_EQ(out[1], 0x94fdccebu);
  EXPECT_EQ(out[2], 0x5001e420u);
  EXPECT_EQ(out[3], 0x24126ea1u);
}

TEST(Rng, DeterministicAndKeyed) {
  Rng a(42, 1), b(42, 1), c(42, 2), d(43, 1);
  int same_c = 0, same_d = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(a.normal(i), b.normal(i));
    ASSERT_EQ(a.uniform(i), b.uniform(i));
    same_c += a.normal(i) == c.normal(i);
    same_d += a.normal(i) == d.normal(i);
  }
  EXPECT_LT(same_c, 3);
  EXPECT_LT(same_d, 3);
}

// fill_* equals the per-position draws, with any offset and any thread count.
TEST(Rng, FillIsPositionalAndThreadIndependent) {
  const uint64_t n = 200001, offset = 12345;
  Rng r(5, 9);
  std::vector<float> one(n), many(n);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  r.fill_normal(one.data(), n, 0.02f, offset);
  omp_set_num_threads(4);
  r.fill_normal(many.data(), n, 0.02f, offset);
  omp_set_num_threads(before);
  for (uint64_t i = 0; i < n; i += 997) ASSERT_EQ(one[i], 0.02f * r.normal(offset + i));
  EXPECT_EQ(one, many);
  r.fill_uniform(one.data(), 100, 7);
  for (uint64_t i = 0; i < 100; ++i) ASSERT_EQ(one[i], r.uniform(7 + i));
}

TEST(Rng, NormalStatistics) {
  const uint64_t n = 1 << 20;
  std::vector<float> x(n);
  Rng(2024, 0).fill_normal(x.data(), n, 1.f);
  double sum = 0, sq = 0, cube = 0, quart = 0;
  uint64_t within1 = 0, within2 = 0;
  for (float v : x) {
    sum += v;
    sq += double(v) * v;
    cube += double(v) * v * v;
    quart += double(v) * v * v * v;
    within1 += std::abs(v) < 1.f;
    within2 += std::abs(v) < 2.f;
  }
  const double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.005);  // ~5 standard errors
  EXPECT_NEAR(var, 1.0, 0.007);
  EXPECT_NEAR(cube / n, 0.0, 0.02);
  EXPECT_NEAR(quart / n, 3.0, 0.05);
  EXPECT_NEAR(double(within1) / n, 0.682689, 0.003);
  EXPECT_NEAR(double(within2) / n, 0.954500, 0.002);
}

TEST(Rng, UniformStatistics) {
  const uint64_t n = 1 << 20;
  Rng r(11, 3);
  std::vector<int> bins(10, 0);
  double sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const float u = r.uniform(i);
    ASSERT_GE(u, 0.f);
    ASSERT_LT(u, 1.f);
    sum += u;
    bins[static_cast<int>(u * 10)]++;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.002);
  for (int b : bins) EXPECT_NEAR(double(b) / n, 0.1, 0.002);
}

}  // namespace
}  // namespace ascent
