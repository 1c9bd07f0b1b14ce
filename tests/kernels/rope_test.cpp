#include <gtest/gtest.h>

#include <cmath>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

constexpr float kBase = 10000.f;

// Rotate-half in double, angles from the formula (not from the float table).
Vec rope_ref(const Vec& x, int64_t N, int64_t W, int64_t heads, int64_t HS,
             const std::vector<int32_t>& pos, double sign = 1.0) {
  Vec y(x);
  const int64_t half = HS / 2;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t d = 0; d < half; ++d) {
        const double th = sign * pos[n] * std::pow(double(kBase), -2.0 * d / HS);
        const int64_t i = n * W + h * HS + d, j = i + half;
        y[i] = x[i] * std::cos(th) - x[j] * std::sin(th);
        y[j] = x[j] * std::cos(th) + x[i] * std::sin(th);
      }
  return y;
}

TEST(Rope, TableValues) {
  const auto t = kernels::rope_table(64, 8, kBase);
  ASSERT_EQ(t.cos.numel(), 64 * 4);
  const float* cos = t.cos.f32();
  const float* sin = t.sin.f32();
  EXPECT_EQ(cos[0], 1.f);
  EXPECT_EQ(sin[0], 0.f);
  // pos 1, d 2: theta = 10000^(-4/8) = 0.01
  EXPECT_EQ(cos[1 * 4 + 2], static_cast<float>(std::cos(0.01)));
  EXPECT_EQ(sin[1 * 4 + 2], static_cast<float>(std::sin(0.01)));
  // pos 63, d 1: theta = 63 * 10000^(-1/4) = 6.3
  EXPECT_EQ(sin[63 * 4 + 1], static_cast<float>(std::sin(6.3)));
}

// The table lives in a buffer it owns, on the backend's device; copies share it.
TEST(Rope, TableOwnsDeviceStorage) {
  EXPECT_TRUE(kernels::RopeTable().empty());
  EXPECT_TRUE(kernels::rope_table(0, 8, kBase).empty());
  const auto t = kernels::rope_table(16, 8, kBase);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.max_pos, 16);
  EXPECT_EQ(t.head_size, 8);
  EXPECT_EQ(t.cos.device(), Device::CPU);
  EXPECT_EQ(t.sin.shape_str(), "[16, 4]");
  ASSERT_NE(t.storage, nullptr);
  const auto copy = t;
  EXPECT_EQ(copy.cos.data(), t.cos.data());
  EXPECT_EQ(copy.storage.get(), t.storage.get());
}

struct RopeCase {
  int64_t N, heads, HS, W;
};
constexpr RopeCase kCases[] = {{1, 1, 2, 2}, {5, 3, 8, 29}, {64, 6, 48, 288 + 96}, {7, 2, 64, 128}};

TEST(Rope, ApplyForwardInverseAndGradient) {
  for (const RopeCase& c : kCases) {
    SCOPED_TRACE(testing::Message() << "N=" << c.N << " heads=" << c.heads << " HS=" << c.HS);
    const auto tab = kernels::rope_table(4096, c.HS, kBase);
    std::vector<int32_t> pos(c.N);
    for (int64_t n = 0; n < c.N; ++n) pos[n] = static_cast<int32_t>((n * 977 + 3) % 4096);
    auto x = test::randn({c.N, c.W}, 1);
    const Vec vx = test::to_vec(*x);
    kernels::rope_apply(*x, c.heads, pos.data(), tab, false);
    // Columns past heads * HS stay untouched (they are exact copies in the reference).
    EXPECT_TRUE(test::near(*x, rope_ref(vx, c.N, c.W, c.heads, c.HS, pos), 2e-6));
    kernels::rope_apply(*x, c.heads, pos.data(), tab, true);
    EXPECT_TRUE(test::near(*x, vx, 2e-6));

    // Backward = inverse rotation of dy.
    auto dy = test::randn({c.N, c.W}, 2);
    const Vec vdy = test::to_vec(*dy);
    kernels::rope_apply(*dy, c.heads, pos.data(), tab, true);
    Vec grad = test::to_vec(*dy);
    for (int64_t n = 0; n < c.N; ++n)  // untouched columns pass dy through
      for (int64_t j = c.heads * c.HS; j < c.W; ++j) EXPECT_EQ(grad[n * c.W + j], vdy[n * c.W + j]);
    auto loss = [&](const Vec& v) {
      return test::dot(vdy, rope_ref(v, c.N, c.W, c.heads, c.HS, pos));
    };
    EXPECT_TRUE(test::matches_finite_diff(loss, vx, grad, 1e-5));
  }
}

// Lists computed once with Python from HF Bloom's build_alibi_tensor (and checked equal to
// Baichuan's _get_interleave), rounded to float.
TEST(Alibi, SlopesMatchHuggingFace) {
  const std::vector<std::pair<int64_t, std::vector<float>>> cases = {
      {6, {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f}},
      {8, {0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0.015625f, 0.0078125f, 0.00390625f}},
      {12,
       {0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0.015625f, 0.0078125f, 0.00390625f, 0.707106769f,
        0.353553385f, 0.176776692f, 0.0883883461f}},
      {40, {0.840896428f,   0.707106769f,   0.594603539f,  0.5f,           0.420448214f,
            0.353553385f,   0.297301769f,   0.25f,         0.210224107f,   0.176776692f,
            0.148650885f,   0.125f,         0.105112053f,  0.0883883461f,  0.0743254423f,
            0.0625f,        0.0525560267f,  0.0441941731f, 0.0371627212f,  0.03125f,
            0.0262780134f,  0.0220970865f,  0.0185813606f, 0.015625f,      0.0131390067f,
            0.0110485433f,  0.00929068029f, 0.0078125f,    0.00656950334f, 0.00552427163f,
            0.00464534014f, 0.00390625f,    0.917004049f,  0.771105409f,   0.648419797f,
            0.545253873f,   0.458502024f,   0.385552704f,  0.324209899f,   0.272626936f}},
  };
  for (const auto& [n, want] : cases) {
    SCOPED_TRACE(n);
    const auto got = kernels::alibi_slopes(n);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "head " << i;
  }
}

}  // namespace
}  // namespace ascent
