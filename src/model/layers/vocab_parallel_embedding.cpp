#include "model/layers/vocab_parallel_embedding.h"

#include "kernels/kernels.h"

namespace ascent::tp {
namespace {

// The whole vocabulary on this rank.
class WholeVocabulary : public WordEmbedding {
 public:
  void forward(const LayerContext&, const int32_t* tokens, const Tensor& table,
               const Tensor& e) const override {
    kernels::embedding_forward(tokens, table, e);
  }
  void backward(const LayerContext&, const int32_t* tokens, const Tensor& de,
                const Tensor& dtable) const override {
    kernels::embedding_backward(tokens, de, dtable);
  }
};

class VocabParallel : public WordEmbedding {
 public:
  VocabParallel(const Regions& regions, int64_t vocab_start)
      : regions_(regions), vocab_start_(vocab_start) {}

  void forward(const LayerContext& ctx, const int32_t* tokens, const Tensor& table,
               const Tensor& e) const override {
    const Arena::Mark mark = ctx.scratch->mark();
    Tensor partial = ctx.scratch->alloc(DType::F32, {ctx.N(), table.size(1)});  // [N, C]
    kernels::embedding_forward_range(tokens, vocab_start_, table, partial);
    regions_.reduce_rows_into(partial, e);
    ctx.scratch->rewind(mark);
  }
  // Every token of the micro-batch may fall in this rank's slice: the gradient rows of all ranks.
  void backward(const LayerContext& ctx, const int32_t* tokens, const Tensor& de,
                const Tensor& dtable) const override {
    kernels::embedding_backward_range(tokens, vocab_start_, regions_.gather_rows(de, *ctx.scratch),
                                      dtable);
  }

 private:
  const Regions& regions_;
  int64_t vocab_start_;
};

}  // namespace

std::unique_ptr<WordEmbedding> make_word_embedding(const Regions& regions, int64_t vocab_start) {
  if (regions.splits_width()) return std::make_unique<VocabParallel>(regions, vocab_start);
  return std::make_unique<WholeVocabulary>();
}

}  // namespace ascent::tp
