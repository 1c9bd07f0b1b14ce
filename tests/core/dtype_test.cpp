#include "core/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/rng.h"

namespace ascent {
namespace {

bool bf16_is_nan(bf16_t h) { return (h & 0x7f80u) == 0x7f80u && (h & 0x7fu) != 0; }
bool f16_is_nan(f16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }

// Nearest f16 to f by search over all finite halves (ties to the even bit pattern); the
// reference the fast conversion is checked against.
f16_t f16_nearest(float f) {
  const double a = std::abs(static_cast<double>(f));
  const uint16_t sign = std::signbit(f) ? 0x8000u : 0u;
  if (a >= 65520.0) return sign | 0x7c00u;  // 65504 + half an ulp (16) rounds up to inf
  uint16_t lo = 0, hi = 0x7bffu;            // positive finite halves are ordered by bits
  while (lo < hi) {                         // largest pattern with value <= a
    const uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (f16_to_f32(mid) <= a)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo == 0x7bffu) return sign | lo;
  const double below = f16_to_f32(lo), above = f16_to_f32(static_cast<uint16_t>(lo + 1));
  const double d_lo = a - below, d_hi = above - a;
  uint16_t r = lo;
  if (d_hi < d_lo || (d_hi == d_lo && (lo & 1u))) r = static_cast<uint16_t>(lo + 1);
  return sign | r;
}

bf16_t bf16_nearest(float f) {
  const uint32_t u = f32_bits(f);
  const uint16_t lo = static_cast<uint16_t>(u >> 16);
  const double x = f, below = bf16_to_f32(lo), above = bf16_to_f32(static_cast<uint16_t>(lo + 1));
  const double d_lo = std::abs(x - below), d_hi = std::abs(above - x);
  if (d_hi < d_lo || (d_hi == d_lo && (lo & 1u))) return static_cast<uint16_t>(lo + 1);
  return lo;
}

TEST(Bf16, RoundToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(-2.f), 0xc000);
  EXPECT_EQ(f32_to_bf16(bits_f32(0x3f808000u)), 0x3f80);  // tie, even below
  EXPECT_EQ(f32_to_bf16(bits_f32(0x3f818000u)), 0x3f82);  // tie, even above
  EXPECT_EQ(f32_to_bf16(bits_f32(0x3f808001u)), 0x3f81);  // just above the tie
  EXPECT_EQ(f32_to_bf16(bits_f32(0x3f807fffu)), 0x3f80);  // just below
  EXPECT_EQ(f32_to_bf16(0.f), 0x0000);
  EXPECT_EQ(f32_to_bf16(-0.f), 0x8000);
  EXPECT_EQ(f32_to_bf16(bits_f32(0x00000001u)), 0x0000);  // smallest subnormal rounds to 0
  EXPECT_EQ(f32_to_bf16(bits_f32(0x00018000u)), 0x0002);  // subnormal tie to even
}

TEST(Bf16, SpecialValues) {
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // overflow to inf
  EXPECT_EQ(f32_to_bf16(bits_f32(0x7f7f7fffu)), 0x7f7f);              // largest that stays finite
  EXPECT_TRUE(bf16_is_nan(f32_to_bf16(std::nanf(""))));
  EXPECT_TRUE(bf16_is_nan(f32_to_bf16(bits_f32(0x7f800001u))));  // payload only in low bits
  EXPECT_TRUE(bf16_is_nan(f32_to_bf16(bits_f32(0xffffffffu))));
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7fc0)));
}

TEST(Bf16, RandomValuesMatchNearest) {
  Rng rng(7, 1);
  for (uint64_t i = 0; i < 200000; ++i) {
    uint32_t w[4];
    Philox::block(7, 1, i, w);
    float f = bits_f32(w[0]);
    if (std::isnan(f) || std::isinf(f) || std::abs(f) > 3.3e38f) continue;
    ASSERT_EQ(f32_to_bf16(f), bf16_nearest(f)) << std::hex << w[0];
  }
}

TEST(Bf16, ExhaustiveRoundTrip) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const bf16_t b = static_cast<bf16_t>(h);
    const float f = bf16_to_f32(b);
    ASSERT_EQ(f32_bits(f), h << 16);
    if (bf16_is_nan(b)) {
      ASSERT_TRUE(bf16_is_nan(f32_to_bf16(f))) << h;
    } else {
      ASSERT_EQ(f32_to_bf16(f), b) << h;
    }
  }
}

TEST(F16, RoundToNearestEven) {
  EXPECT_EQ(f32_to_f16(1.f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.f), 0xc000);
  EXPECT_EQ(f32_to_f16(1.f + std::ldexp(1.f, -11)), 0x3c00);      // tie, even below
  EXPECT_EQ(f32_to_f16(1.f + 3 * std::ldexp(1.f, -11)), 0x3c02);  // tie, even above
  EXPECT_EQ(f32_to_f16(1.f + std::ldexp(1.f, -11) + std::ldexp(1.f, -20)), 0x3c01);
  EXPECT_EQ(f32_to_f16(65504.f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.f), 0x7bff);  // below the midpoint to 65536
  EXPECT_EQ(f32_to_f16(65520.f), 0x7c00);  // midpoint rounds to even = inf
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-1e6f), 0xfc00);
  EXPECT_EQ(f32_to_f16(-0.f), 0x8000);
}

TEST(F16, Subnormals) {
  const float ulp = std::ldexp(1.f, -24);  // smallest f16 subnormal
  EXPECT_EQ(f32_to_f16(ulp), 0x0001);
  EXPECT_EQ(f32_to_f16(0.5f * ulp), 0x0000);  // tie to even (zero)
  EXPECT_EQ(f32_to_f16(0.5f * ulp * 1.0001f), 0x0001);
  EXPECT_EQ(f32_to_f16(0.49f * ulp), 0x0000);
  EXPECT_EQ(f32_to_f16(1.5f * ulp), 0x0002);            // tie to even (up)
  EXPECT_EQ(f32_to_f16(2.5f * ulp), 0x0002);            // tie to even (down)
  EXPECT_EQ(f32_to_f16(1023.f * ulp), 0x03ff);          // largest subnormal
  EXPECT_EQ(f32_to_f16(1023.5f * ulp), 0x0400);         // rounds up into the normals
  EXPECT_EQ(f32_to_f16(std::ldexp(1.f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(f16_to_f32(0x0001), ulp);
  EXPECT_EQ(f16_to_f32(0x8001), -ulp);
  EXPECT_EQ(f16_to_f32(0x03ff), 1023.f * ulp);
}

TEST(F16, SpecialValues) {
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_TRUE(f16_is_nan(f32_to_f16(std::nanf(""))));
  EXPECT_TRUE(f16_is_nan(f32_to_f16(bits_f32(0x7f800001u))));  // payload only in low bits
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
}

TEST(F16, RandomValuesMatchNearest) {
  for (uint64_t i = 0; i < 200000; ++i) {
    uint32_t w[4];
    Philox::block(9, 2, i, w);
    // Exponents spread over the f16 range and beyond (2^-30 .. 2^17).
    const uint32_t exp = 97u + w[1] % 48u;
    const float f = bits_f32((w[0] & 0x807fffffu) | (exp << 23));
    ASSERT_EQ(f32_to_f16(f), f16_nearest(f)) << std::hex << f32_bits(f);
  }
}

TEST(F16, ExhaustiveRoundTrip) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const f16_t x = static_cast<f16_t>(h);
    const float f = f16_to_f32(x);
    if (f16_is_nan(x)) {
      ASSERT_TRUE(std::isnan(f)) << h;
      ASSERT_TRUE(f16_is_nan(f32_to_f16(f))) << h;
    } else {
      ASSERT_EQ(f32_to_f16(f), x) << h;
    }
  }
}

TEST(Dtype, BulkConversionsMatchScalar) {
  const size_t n = 100003;  // crosses the parallel threshold
  std::vector<float> src(n), back(n);
  Rng(3, 4).fill_normal(src.data(), n, 100.f);
  std::vector<uint16_t> h(n);
  convert_f32_to_bf16(src.data(), h.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(h[i], f32_to_bf16(src[i]));
  convert_bf16_to_f32(h.data(), back.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(back[i], bf16_to_f32(h[i]));
  convert_f32_to_f16(src.data(), h.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(h[i], f32_to_f16(src[i]));
  convert_f16_to_f32(h.data(), back.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(back[i], f16_to_f32(h[i]));
}

// The bulk f16 conversions (F16C on CPUs that have it) agree with the scalar ones on every f16
// value and on the f32 edge cases: ties, subnormals, overflow, infinities and NaNs.
TEST(Dtype, BulkF16MatchesScalarOnEdgeCases) {
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  std::vector<float> wide(all.size());
  convert_f16_to_f32(all.data(), wide.data(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const float want = f16_to_f32(all[i]);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(wide[i])) << i;
    } else {
      ASSERT_EQ(f32_bits(wide[i]), f32_bits(want)) << i;
    }
  }
  std::vector<float> edge;
  for (uint32_t h = 0; h < 0x7c00u; h += 7) {  // midpoints between neighbouring halves (ties)
    const float a = f16_to_f32(static_cast<uint16_t>(h)),
                b = f16_to_f32(static_cast<uint16_t>(h + 1));
    edge.push_back(0.5f * (a + b));
    edge.push_back(-0.5f * (a + b));
  }
  for (float f :
       {0.f, -0.f, 65504.f, 65519.f, 65520.f, 1e6f, 5.96e-8f, 2.98e-8f, 2.99e-8f, 1e-10f,
        std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
        std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min()})
    edge.push_back(f);
  std::vector<uint16_t> narrow(edge.size());
  convert_f32_to_f16(edge.data(), narrow.data(), edge.size());
  for (size_t i = 0; i < edge.size(); ++i) {
    const uint16_t want = f32_to_f16(edge[i]);
    if (f16_is_nan(want)) {
      ASSERT_TRUE(f16_is_nan(narrow[i])) << edge[i];
    } else {
      ASSERT_EQ(narrow[i], want) << edge[i];
    }
  }
}

TEST(Dtype, NamesAndParsing) {
  EXPECT_EQ(dtype_size(DType::F32), 4u);
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(parse_dtype("bfloat16"), DType::BF16);
  EXPECT_EQ(parse_dtype("f16"), DType::F16);
  EXPECT_STREQ(dtype_name(DType::F32), "f32");
  EXPECT_THROW(parse_dtype("int8"), Error);
}

}  // namespace
}  // namespace ascent
