#pragma once
// Inference forward with a KV cache: the training decoder (model/transformer.h) restricted to
// forward, run on a chunk of new tokens per sequence (a whole prompt for the prefill, then one
// token per step), reading the past from the cache instead of recomputing it.
//
// It uses the model's own weights (ModelWeights views, the compute copy for matmuls) and the
// model's own layer objects, built for one rank: the Embedding variant (+ learned positions)
// (+ embedding LayerNorm), Norm, the fused q/k/v projection with bias, the AttentionPositions
// variant (RoPE at each token's position, ALiBi slopes), the output projection, the MLP
// sub-layer, and the LmHead variant (final norm, LM head; NormHead rows normalised once here).
// Only attention differs: it runs over the cache (inference/decode_attention.h). Logits equal
// Transformer::forward's on the same tokens up to float rounding.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/arena.h"
#include "inference/kv_cache.h"
#include "model/layers/attention_positions.h"
#include "model/layers/embedding.h"
#include "model/layers/lm_head.h"
#include "model/layers/mlp.h"
#include "model/layers/norm.h"
#include "model/layers/parallel_linear.h"
#include "model/layers/tp_regions.h"
#include "model/weights.h"

namespace ascent::inference {

// New tokens of one sequence, appended at positions cache.length(slot), length(slot) + 1, ...
struct DecodeChunk {
  int64_t slot = 0;
  std::span<const int32_t> tokens;  // at least one
};

enum class LogitsFor {
  Last,  // [chunks, V]: the last new token of each chunk (what sampling needs)
  All,   // [sum of chunk sizes, V]: every new token, chunk after chunk
};

class Decoder {
 public:
  // Keeps a reference to `weights`, which must outlive the decoder and not change under it
  // (a NormHead's normalised rows are computed here, once).
  explicit Decoder(const ModelWeights& weights);
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  const ModelConfig& config() const { return cfg_; }
  // Largest number of positions a sequence may reach: max_position_embeddings with RoPE or
  // learned positions; unbounded (INT64_MAX) with ALiBi (the cache still bounds it).
  int64_t max_positions() const;

  // Runs the new tokens of every chunk through the model, writes their keys and values into
  // `cache` and advances each chunk's slot by its size. Slots must be distinct and < max_batch.
  // Returns f32 logits (see LogitsFor), a view valid until the next call.
  // Throws ascent::Error for a token outside the vocabulary or a sequence that would pass
  // max_positions() or cache.max_T(); nothing is written then.
  Tensor forward(std::span<const DecodeChunk> chunks, KvCache& cache,
                 LogitsFor which = LogitsFor::Last);

 private:
  struct Step;  // the flattened rows of one call (decoder.cpp)
  void check(std::span<const DecodeChunk> chunks, const KvCache& cache) const;
  // x (+=) attention over the cache of h [N, C] (f32, normed); appends the layer's K/V.
  void attention(int64_t layer, const Step& step, const Tensor& h, KvCache& cache, const Tensor& x);
  void write_cache(int64_t layer, const Step& step, const Tensor& qkv, KvCache& cache) const;
  Tensor head(const Step& step, const Tensor& x, LogitsFor which);

  const ModelWeights& w_;
  const ModelConfig& cfg_;
  int64_t NH_, KVH_, HS_;
  std::unique_ptr<tp::Regions> one_rank_;  // the layers below run the whole width
  Embedding embedding_;
  Norm norm_;
  tp::ColumnParallelLinear qkv_;
  tp::RowParallelLinear out_;
  std::unique_ptr<AttentionPositions> positions_;
  Mlp mlp_;
  LmHead head_;
  Arena head_arena_;        // NormHead: the normalised rows, computed once
  HeadStash head_weights_;  // what LmHead::weight keeps
  Tensor lm_head_c_;        // [V, C] LM head operand in the compute dtype
  Arena arena_;             // this call's residual stream and logits
  Arena layer_, scratch_;   // one sub-layer's temporaries
};

}  // namespace ascent::inference
