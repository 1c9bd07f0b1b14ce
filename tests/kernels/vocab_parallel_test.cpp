// Vocabulary-parallel cross-entropy and embedding: the vocabulary cut into slices (the last one
// padded, as with --make-vocab-size-divisible-by), the passes run per slice with the reductions
// done here, give the whole-vocabulary kernels' losses, gradients and lookups.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernel_harness.h"
#include "kernels/kernels.h"

namespace ascent {
namespace {

// `parts` slices of `rows` vocabulary rows each, covering V (the last ones padded).
struct Slices {
  int64_t rows;
  int parts;
  int64_t valid(int p, int64_t V) const { return std::clamp<int64_t>(V - p * rows, 0, rows); }
};

TEST(VocabParallelCrossEntropy, SlicesGiveTheWholeLossAndGradient) {
  for (int64_t V : {7, 33, 1500}) {
    for (int parts : {1, 2, 3}) {
      for (float z : {0.f, 0.01f}) {
        SCOPED_TRACE(testing::Message() << "V=" << V << " parts=" << parts << " z=" << z);
        const int64_t N = 6;
        const Slices sl{(V + parts) / parts, parts};  // at least one padding column overall
        std::vector<int32_t> t(N);
        for (int64_t n = 0; n < N; ++n) t[n] = n == 2 ? kernels::kIgnoreIndex : int32_t((n * 13 + 1) % V);
        auto whole = test::randn({N, V}, 3, 2.f);
        auto losses_ref = test::zeros({N});
        auto dwhole = test::randn({N, V}, 4);
        std::copy(whole->f32(), whole->f32() + N * V, dwhole->f32());
        const float scale = 0.5f;
        kernels::cross_entropy_forward_backward(*dwhole, t.data(), z, scale, *losses_ref);

        // Slice p holds columns [p*rows, (p+1)*rows); padding columns get garbage that must not
        // matter.
        std::vector<OwnedTensor> logit(parts);
        for (int p = 0; p < parts; ++p) {
          logit[p] = test::randn({N, sl.rows}, 10 + p, 100.f);
          for (int64_t n = 0; n < N; ++n)
            for (int64_t j = 0; j < sl.valid(p, V); ++j)
              logit[p]->f32()[n * sl.rows + j] = whole->f32()[n * V + p * sl.rows + j];
        }
        auto max = test::zeros({N}), part = test::zeros({N});
        std::fill(max->f32(), max->f32() + N, -std::numeric_limits<float>::infinity());
        for (int p = 0; p < parts; ++p) {
          kernels::vocab_parallel_ce_max(*logit[p], sl.valid(p, V), *part);
          for (int64_t n = 0; n < N; ++n) max->f32()[n] = std::max(max->f32()[n], part->f32()[n]);
        }
        auto sums = test::zeros({2 * N}), psums = test::zeros({2 * N});
        for (int p = 0; p < parts; ++p) {
          kernels::vocab_parallel_ce_sums(*logit[p], t.data(), p * sl.rows, sl.valid(p, V), *max,
                                          *psums);
          for (int64_t i = 0; i < 2 * N; ++i) sums->f32()[i] += psums->f32()[i];
        }
        for (int p = 0; p < parts; ++p) {
          auto losses = test::zeros({N});
          auto dlogits = test::zeros({N, sl.rows});
          kernels::vocab_parallel_ce_finish(*logit[p], t.data(), p * sl.rows, sl.valid(p, V),
                                            *max, *sums, z, scale, *losses, *dlogits);
          for (int64_t n = 0; n < N; ++n) {
            EXPECT_NEAR(losses->f32()[n], losses_ref->f32()[n], 1e-5 * (1 + std::fabs(losses_ref->f32()[n])));
            for (int64_t j = 0; j < sl.rows; ++j) {
              const float got = dlogits->f32()[n * sl.rows + j];
              if (j >= sl.valid(p, V)) {
                ASSERT_EQ(got, 0.f) << "padding column " << j;
              } else {
                EXPECT_NEAR(got, dwhole->f32()[n * V + p * sl.rows + j], 1e-6) << n << "," << j;
              }
            }
          }
          // Forward only (no gradient) and in place give the same losses / gradient.
          auto losses2 = test::zeros({N});
          kernels::vocab_parallel_ce_finish(*logit[p], t.data(), p * sl.rows, sl.valid(p, V),
                                            *max, *sums, z, scale, *losses2, Tensor());
          EXPECT_TRUE(test::bitwise_equal(*losses2, *losses));
          kernels::vocab_parallel_ce_finish(*logit[p], t.data(), p * sl.rows, sl.valid(p, V),
                                            *max, *sums, z, scale, *losses2, *logit[p]);
          EXPECT_TRUE(test::bitwise_equal(*logit[p], *dlogits));
        }
      }
    }
  }
}

TEST(VocabParallelEmbedding, SlicesSumToTheWholeLookupAndGradient) {
  const int64_t V = 11, C = 5, N = 9, rows = 4;  // slices 0-3, 4-7, 8-11 (11 is padding)
  std::vector<int32_t> tokens = {0, 3, 4, 10, 7, 3, 8, 1, 10};
  auto table = test::randn({V, C}, 5);
  auto want = test::zeros({N, C});
  kernels::embedding_forward(tokens.data(), *table, *want);
  auto dout = test::randn({N, C}, 6);
  auto dwant = test::zeros({V, C});
  kernels::embedding_backward(tokens.data(), *dout, *dwant);

  auto sum = test::zeros({N, C});
  for (int64_t first = 0; first < V; first += rows) {
    auto slice = test::zeros({rows, C});
    for (int64_t r = 0; r < rows && first + r < V; ++r)
      std::copy(table->f32() + (first + r) * C, table->f32() + (first + r + 1) * C,
                slice->f32() + r * C);
    auto out = test::randn({N, C}, 7);  // overwritten
    kernels::embedding_forward_range(tokens.data(), first, *slice, *out);
    for (int64_t i = 0; i < N * C; ++i) sum->f32()[i] += out->f32()[i];

    auto dslice = test::zeros({rows, C});
    kernels::embedding_backward_range(tokens.data(), first, *dout, *dslice);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < C; ++c)
        EXPECT_EQ(dslice->f32()[r * C + c], first + r < V ? dwant->f32()[(first + r) * C + c] : 0.f);
  }
  EXPECT_TRUE(test::bitwise_equal(*sum, *want));
}

TEST(Dropout, OffsetPlacesASliceInTheWholeMask) {
  const int64_t n = 1000, first = 300, count = 500;
  auto x = test::randn({n}, 8);
  auto whole = test::zeros({n});
  kernels::dropout_add_forward(*x, 0.3f, 42, 7, *whole);
  auto part = test::zeros({count});
  Tensor xs(x->f32() + first, DType::F32, {count});
  kernels::dropout_add_forward(xs, 0.3f, 42, 7, *part, first);
  for (int64_t i = 0; i < count; ++i) ASSERT_EQ(part->f32()[i], whole->f32()[first + i]) << i;
  auto back = test::zeros({count});
  kernels::dropout_backward(xs, 0.3f, 42, 7, *back, first);
  for (int64_t i = 0; i < count; ++i) ASSERT_EQ(back->f32()[i], part->f32()[i]) << i;  // -0 == 0
}

}  // namespace
}  // namespace ascent
