#include <gtest/gtest.h>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

using test::Vec;

std::vector<int32_t> tokens_for(int64_t N, int64_t V) {
  std::vector<int32_t> t(N);
  for (int64_t n = 0; n < N; ++n) t[n] = static_cast<int32_t>((n * 7 + n * n) % V);  // repeats
  return t;
}

Vec reference(const std::vector<int32_t>& tokens, const Vec& table, int64_t C) {
  Vec out;
  for (int32_t t : tokens)
    out.insert(out.end(), table.begin() + t * C, table.begin() + (t + 1) * C);
  return out;
}

TEST(Embedding, ForwardF32AndHalfTables) {
  for (auto [N, C] : test::kRowShapes) {
    SCOPED_TRACE(test::shape_name(N, C));
    const int64_t V = 11;
    const auto tokens = tokens_for(N, V);
    auto table = test::randn({V, C}, 1);
    auto out = test::zeros({N, C});
    kernels::embedding_forward(tokens.data(), *table, *out);
    EXPECT_TRUE(test::near(*out, reference(tokens, test::to_vec(*table), C), 0.0));

    for (DType half : {DType::BF16, DType::F16}) {
      OwnedTensor table16(half, {V, C});
      copy_convert(*table, *table16);
      kernels::embedding_forward(tokens.data(), *table16, *out);
      EXPECT_TRUE(test::near(*out, reference(tokens, test::to_vec(*table16), C), 0.0))
          << dtype_name(half);
    }
  }
}

TEST(Embedding, BackwardMatchesFiniteDifferences) {
  for (auto [N, C] : test::kRowShapes) {
    SCOPED_TRACE(test::shape_name(N, C));
    const int64_t V = 11;
    const auto tokens = tokens_for(N, V);
    auto table = test::randn({V, C}, 1), dout = test::randn({N, C}, 2);
    auto dtable = test::randn({V, C}, 3);
    const Vec d0 = test::to_vec(*dtable), vdout = test::to_vec(*dout);
    kernels::embedding_backward(tokens.data(), *dout, *dtable);
    auto loss = [&](const Vec& t) { return test::dot(vdout, reference(tokens, t, C)); };
    EXPECT_TRUE(test::matches_finite_diff(loss, test::to_vec(*table),
                                          test::minus(test::to_vec(*dtable), d0), 1e-5, 200));
  }
}

TEST(Embedding, BackwardIndependentOfThreads) {
  const int64_t N = 4096, C = 96, V = 50;
  const auto tokens = tokens_for(N, V);
  auto dout = test::randn({N, C}, 4);
  auto d1 = test::zeros({V, C}), d2 = test::zeros({V, C});
  test::with_threads(1, [&] { kernels::embedding_backward(tokens.data(), *dout, *d1); });
  test::with_threads(4, [&] { kernels::embedding_backward(tokens.data(), *dout, *d2); });
  EXPECT_TRUE(test::bitwise_equal(*d1, *d2));
}

}  // namespace
}  // namespace ascent
