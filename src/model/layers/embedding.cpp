#include "model/layers/embedding.h"

#include "kernels/kernels.h"

namespace ascent {
namespace {

// Learned absolute positions of this rank's rows.
void add_absolute(const LayerContext& ctx, const Tensor& wpe, const Tensor& e) {
  const Arena::Mark mark = ctx.scratch->mark();
  Tensor pos = ctx.scratch->alloc(DType::F32, {ctx.rows(), e.size(-1)});  // [rows, C]
  kernels::embedding_forward(ctx.positions + ctx.row_begin(), wpe, pos);
  kernels::add_inplace(e, pos);
  ctx.scratch->rewind(mark);
}
void absolute_backward(const LayerContext& ctx, const Tensor& de, const Tensor& dwpe) {
  kernels::embedding_backward(ctx.positions + ctx.row_begin(), de, dwpe);
}
// Positions enter in attention (RoPE, ALiBi).
void add_none(const LayerContext&, const Tensor&, const Tensor&) {}
void none_backward(const LayerContext&, const Tensor&, const Tensor&) {}

Tensor identity(const Norm&, const LayerContext&, const ModelParams&, EmbeddingStash* st) {
  return st->e;
}
Tensor identity_backward(const Norm&, const LayerContext&, const Tensor& dx, const ModelParams&,
                         const EmbeddingStash&, const ModelParams&) {
  return dx;
}

// Bloom's embedding LayerNorm: x (=, in ctx.stash) = norm(e).
Tensor layer_norm(const Norm& norm, const LayerContext& ctx, const ModelParams& p,
                  EmbeddingStash* st) {
  Tensor x = ctx.stash->alloc(DType::F32, {ctx.rows(), st->e.size(-1)});
  norm.forward(st->e, p.emb_norm_w, p.emb_norm_b, x, &st->norm, *ctx.stash);
  return x;
}
Tensor layer_norm_backward(const Norm& norm, const LayerContext& ctx, const Tensor& dx,
                           const ModelParams& p, const EmbeddingStash& st, const ModelParams& g) {
  Tensor de = ctx.scratch->zeros(DType::F32, {ctx.rows(), dx.size(-1)});
  norm.backward(dx, st.norm, p.emb_norm_w, de, g.emb_norm_w, g.emb_norm_b);
  return de;
}

}  // namespace

Embedding::Embedding(const ModelConfig& cfg, const tp::Regions& regions, int64_t vocab_start)
    : word_(tp::make_word_embedding(regions, vocab_start)),
      add_positions_(cfg.position == PositionType::Absolute ? add_absolute : add_none),
      positions_backward_(cfg.position == PositionType::Absolute ? absolute_backward
                                                                 : none_backward),
      normalize_(cfg.embedding_norm ? layer_norm : identity),
      normalize_backward_(cfg.embedding_norm ? layer_norm_backward : identity_backward),
      norm_(NormType::LayerNorm, cfg.norm_eps) {}

Tensor Embedding::forward(const LayerContext& ctx, const int32_t* tokens, const ModelParams& p,
                          EmbeddingStash* st) const {
  st->e = ctx.stash->alloc(DType::F32, {ctx.rows(), p.wte.size(1)});  // [rows, C]
  word_->forward(ctx, tokens, p.wte, st->e);
  add_positions_(ctx, p.wpe, st->e);
  return normalize_(norm_, ctx, p, st);
}

void Embedding::backward(const LayerContext& ctx, const int32_t* tokens, const Tensor& dx,
                         const ModelParams& p, const EmbeddingStash& st,
                         const ModelParams& g) const {
  const Arena::Mark mark = ctx.scratch->mark();
  Tensor de = normalize_backward_(norm_, ctx, dx, p, st, g);  // [rows, C] d loss / d e
  positions_backward_(ctx, de, g.wpe);
  word_->backward(ctx, tokens, de, g.wte);
  ctx.scratch->rewind(mark);
}

}  // namespace ascent
