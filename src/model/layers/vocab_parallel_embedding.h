#pragma once
// The word-embedding lookup, vocabulary-parallel under TP (Megatron's VocabParallelEmbedding):
// each rank holds the table rows of its vocabulary slice, looks up the tokens that fall in it
// (zero rows for the others) and the partial results are summed over the group (all-reduce, or
// reduce-scatter to this rank's rows with sequence parallelism). On one rank: a plain lookup.
// The variant is chosen when the model is built.
#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "model/layers/context.h"
#include "model/layers/tp_regions.h"

namespace ascent::tp {

class WordEmbedding {
 public:
  virtual ~WordEmbedding() = default;
  // e [rows, C] (=) this rank's rows of table[tokens] for tokens [N] (every rank's rows), table
  // [VL, C] this rank's vocabulary slice. Temporaries in ctx.scratch (rewound).
  virtual void forward(const LayerContext& ctx, const int32_t* tokens, const Tensor& table,
                       const Tensor& e) const = 0;
  // Gradient convention: dtable (+=) [VL, C] from de [rows, C] (read only). Temporaries in
  // ctx.scratch (the caller rewinds).
  virtual void backward(const LayerContext& ctx, const int32_t* tokens, const Tensor& de,
                        const Tensor& dtable) const = 0;
};

// The lookup of a rank whose table starts at vocabulary row vocab_start.
std::unique_ptr<WordEmbedding> make_word_embedding(const Regions& regions, int64_t vocab_start);

}  // namespace ascent::tp
