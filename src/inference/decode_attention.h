#pragma once
// Attention of a chunk of new tokens per sequence over that sequence's cached keys and values
// (incremental decoding). The math is kernels::attention_forward's, for queries that start at
// position `past` instead of 0:
//   score(i, j) = scale * <q_i, k_j> + alibi_slope[h] * (j - (past + i))   for j <= past + i,
// so a prefill (past = 0, all tokens new) gives the training forward's attention, and a decode
// step (one new token) attends over everything cached.
#include <cstdint>
#include <span>

#include "core/tensor.h"
#include "inference/kv_cache.h"

namespace ascent::inference {

// One sequence's rows of the step: queries are rows [row0, row0 + n) of qkv, its keys/values
// are cache slot `slot`, rows [0, past + n) (the new ones already written).
struct SeqRows {
  int64_t slot = 0;
  int64_t row0 = 0;
  int64_t n = 0;
  int64_t past = 0;
};

struct DecodeAttentionDims {
  int64_t NH = 0;                       // query heads; KVH and HS come from the cache
  float scale = 0.f;                    // usually 1/sqrt(HS)
  const float* alibi_slopes = nullptr;  // [NH] or nullptr
};

// out [N, NH*HS] (=): attention output of every query row named by seqs. qkv [N, >= NH*HS] f32
// holds the queries (after RoPE) in its first NH*HS columns. Query head h reads KV head
// h / (NH / KVH). Reads layer `layer` of the cache; writes nothing there.
void decode_attention(const DecodeAttentionDims& d, const Tensor& qkv, const KvCache& cache,
                      int64_t layer, std::span<const SeqRows> seqs, const Tensor& out);

}  // namespace ascent::inference
