// Decode attention over the KV cache against the training attention kernel: a prefill (past 0)
// reproduces kernels::attention_forward, and queries that start at `past` reproduce its later
// rows, with GQA and ALiBi.
#include "inference/decode_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <vector>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "support/tiny_models.h"

namespace ascent::inference {
namespace {

struct Shape {
  int64_t T, NH, KVH, HS;
  bool alibi;
};

void PrintTo(const Shape& s, std::ostream* os) {
  *os << "T" << s.T << "_NH" << s.NH << "_KVH" << s.KVH << "_HS" << s.HS << (s.alibi ? "_alibi" : "");
}

class DecodeAttention : public ::testing::TestWithParam<Shape> {};

TEST_P(DecodeAttention, MatchesCausalKernelForEverySplit) {
  const Shape s = GetParam();
  const int64_t W = (s.NH + 2 * s.KVH) * s.HS, T = s.T;
  ModelConfig cfg;
  cfg.num_layers = 1;
  cfg.num_attention_heads = s.NH;
  cfg.num_query_groups = s.KVH;
  cfg.hidden_size = s.NH * s.HS;

  OwnedTensor qkv(DType::F32, {T, W}), ref(DType::F32, {T, s.NH * s.HS}), lse(DType::F32, {1, s.NH, T});
  Rng(9, 1).fill_normal(qkv->f32(), static_cast<uint64_t>(T * W), 1.5f);
  std::vector<float> slopes = kernels::alibi_slopes(s.NH);
  kernels::AttentionDims d;
  d.B = 1, d.T = T, d.NH = s.NH, d.KVH = s.KVH, d.HS = s.HS;
  d.scale = 1.f / std::sqrt(static_cast<float>(s.HS));
  d.alibi_slopes = s.alibi ? slopes.data() : nullptr;
  kernels::attention_forward(d, *qkv, *ref, *lse);

  // Cache every key / value, then let each split [past, T) of queries attend.
  KvCache cache(cfg, 2, T);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t g = 0; g < s.KVH; ++g) {
      std::memcpy(cache.k(0, 1, g) + t * s.HS, qkv->f32() + t * W + (s.NH + g) * s.HS, s.HS * 4);
      std::memcpy(cache.v(0, 1, g) + t * s.HS, qkv->f32() + t * W + (s.NH + s.KVH + g) * s.HS,
                  s.HS * 4);
    }
  DecodeAttentionDims dd{s.NH, d.scale, d.alibi_slopes};
  for (int64_t past : {int64_t{0}, T / 2, T - 1}) {
    const int64_t n = T - past;
    Tensor q = qkv->rows(past, T);
    OwnedTensor out(DType::F32, {n, s.NH * s.HS});
    SeqRows r{1, 0, n, past};
    decode_attention(dd, q, cache, 0, {&r, 1}, *out);
    const double e = testing::max_rel_err(out->f32(), ref->f32() + past * s.NH * s.HS,
                                          static_cast<size_t>(n * s.NH * s.HS));
    EXPECT_LT(e, 1e-5) << "past " << past;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DecodeAttention,
                         ::testing::Values(Shape{13, 4, 4, 8, false}, Shape{13, 4, 2, 8, true},
                                           Shape{70, 6, 6, 16, true}, Shape{33, 8, 1, 32, false}));

}  // namespace
}  // namespace ascent::inference
