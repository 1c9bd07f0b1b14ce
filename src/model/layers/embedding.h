#pragma once
// The model's input: word embedding (vocabulary-parallel under TP), plus learned absolute
// position embeddings (GPT-2), then Bloom's embedding LayerNorm. Which of these a model has is
// chosen when it is built; the pieces run on this rank's rows of the residual stream.
// Shared by the training transformer and the inference decoder.
#include <cstdint>
#include <memory>

#include "model/config.h"
#include "model/layers/context.h"
#include "model/layers/norm.h"
#include "model/layers/tp_regions.h"
#include "model/layers/vocab_parallel_embedding.h"
#include "model/params.h"

namespace ascent {

struct EmbeddingStash {
  Tensor e;        // [rows, C] the summed embeddings before the embedding norm (Bloom)
  NormStash norm;  // embedding LayerNorm (Bloom)
};

class Embedding {
 public:
  // vocab_start: the first vocabulary row of this rank's slice of the word embedding.
  Embedding(const ModelConfig& cfg, const tp::Regions& regions, int64_t vocab_start);

  // Returns x [rows, C] (=, in ctx.stash): the embedding of this rank's rows of tokens [N] at
  // ctx.positions. p: f32 master views. Fills `st`; temporaries in ctx.scratch (rewound).
  Tensor forward(const LayerContext& ctx, const int32_t* tokens, const ModelParams& p,
                 EmbeddingStash* st) const;
  // Gradient convention: g.wte, g.wpe, g.emb_norm_* (+=) from dx [rows, C] = d loss / d x (read
  // only). Temporaries in ctx.scratch (rewound).
  void backward(const LayerContext& ctx, const int32_t* tokens, const Tensor& dx,
                const ModelParams& p, const EmbeddingStash& st, const ModelParams& g) const;

 private:
  // Adding learned positions (or not) and the embedding norm (or not): one function each.
  using AddPositions = void (*)(const LayerContext& ctx, const Tensor& wpe, const Tensor& e);
  using PositionsBackward = void (*)(const LayerContext& ctx, const Tensor& de, const Tensor& dwpe);
  using Normalize = Tensor (*)(const Norm& norm, const LayerContext& ctx, const ModelParams& p,
                               EmbeddingStash* st);
  using NormalizeBackward = Tensor (*)(const Norm& norm, const LayerContext& ctx, const Tensor& dx,
                                       const ModelParams& p, const EmbeddingStash& st,
                                       const ModelParams& g);

  std::unique_ptr<tp::WordEmbedding> word_;
  AddPositions add_positions_;
  PositionsBackward positions_backward_;
  Normalize normalize_;
  NormalizeBackward normalize_backward_;
  Norm norm_;  // Bloom's embedding LayerNorm
};

}  // namespace ascent
