#include "model/layers/lm_head.h"

#include "model/layers/linear.h"

namespace ascent {
namespace {

// The LM head as it is (tied: the word embedding's compute copy).
Tensor plain_weight(const LayerContext&, const ModelParams&, const ModelParams& c, HeadStash*) {
  return c.lm_head;
}
void plain_backward(const LayerContext&, const Tensor& dlogits, const Tensor& dlogits_c,
                    const HeadStash& st, const ModelParams& c, const Tensor& dh,
                    const ModelParams& g) {
  linear::backward(dlogits, dlogits_c, st.h_c, c.lm_head, dh, g.lm_head, Tensor());
}

// NormHead (Baichuan2): each row of the head divided by its L2 norm, from the f32 master rows.
Tensor normhead_weight(const LayerContext& ctx, const ModelParams& p, const ModelParams&,
                       HeadStash* st) {
  const int64_t V = p.lm_head.size(0), C = p.lm_head.size(1);
  st->w_eff = ctx.stash->alloc(DType::F32, {V, C});
  st->norms = ctx.stash->alloc(DType::F32, {V});
  kernels::l2norm_rows_forward(p.lm_head, st->w_eff, st->norms);
  return to_compute(ctx, st->w_eff, *ctx.stash);
}
void normhead_backward(const LayerContext& ctx, const Tensor&, const Tensor& dlogits_c,
                       const HeadStash& st, const ModelParams&, const Tensor& dh,
                       const ModelParams& g) {
  Arena& a = *ctx.scratch;
  Tensor w = to_compute(ctx, st.w_eff, a);
  Tensor dw_eff = a.alloc(DType::F32, {w.size(0), w.size(1)});  // [VL, C]
  kernels::matmul(dlogits_c, false, w, false, dh, false);
  kernels::matmul(dlogits_c, true, st.h_c, false, dw_eff, false);
  kernels::l2norm_rows_backward(dw_eff, st.w_eff, st.norms, g.lm_head);
}

}  // namespace

LmHead::LmHead(const ModelConfig& cfg, const tp::Regions& regions, int64_t vocab_start,
               int64_t vocab_rows)
    : norm_(cfg.norm, cfg.norm_eps),
      proj_(regions),
      cross_entropy_(
          tp::make_cross_entropy(regions, cfg.z_loss, vocab_start, vocab_rows, cfg.vocab_size)),
      weight_(cfg.lm_norm_weight ? normhead_weight : plain_weight),
      weight_backward_(cfg.lm_norm_weight ? normhead_backward : plain_backward) {}

Tensor LmHead::normed(const LayerContext& ctx, const Tensor& x, const ModelParams& p,
                      NormStash* st) const {
  const Arena::Mark mark = ctx.scratch->mark();
  Tensor h = proj_.alloc_input(ctx, x.size(-1));  // [rows, C]
  norm_.forward(x, p.final_norm_w, p.final_norm_b, h, st, *ctx.stash);
  Tensor h_c = proj_.gather_input(ctx, h);
  ctx.scratch->rewind(mark);
  return h_c;
}

void LmHead::forward(const LayerContext& ctx, const Tensor& x, const ModelParams& p,
                     const ModelParams& c, HeadStash* st) const {
  st->h_c = normed(ctx, x, p, &st->norm);
  Tensor w = weight_(ctx, p, c, st);  // [VL, C]
  st->logits = ctx.stash->alloc(DType::F32, {ctx.N(), w.size(0)});
  linear::forward(st->h_c, w, Tensor(), st->logits);
}

kernels::MaskedSum LmHead::loss(const LayerContext& ctx, const int32_t* targets, bool train,
                                float grad_scale, const HeadStash& st) const {
  const Arena::Mark mark = ctx.scratch->mark();
  Tensor losses = ctx.scratch->alloc(DType::F32, {ctx.N()});
  cross_entropy_->forward(st.logits, targets, train, grad_scale, losses, *ctx.scratch);
  const kernels::MaskedSum total = kernels::masked_sum(losses, targets);
  ctx.scratch->rewind(mark);
  return total;
}

void LmHead::backward(const LayerContext& ctx, const HeadStash& st, const ModelParams& p,
                      const ModelParams& c, const Tensor& dx, const ModelParams& g) const {
  Arena& a = *ctx.scratch;
  const Arena::Mark mark = a.mark();
  Tensor dlogits_c = to_compute(ctx, st.logits, a);
  Tensor dh = a.alloc(DType::F32, {ctx.N(), st.h_c.size(-1)});  // [N, C]
  weight_backward_(ctx, st.logits, dlogits_c, st, c, dh, g);
  // Each rank's dh covers its vocabulary slice only.
  Tensor dh_rows = proj_.reduce_input_grad(ctx, dh);
  kernels::fill(dx, 0.f);
  norm_.backward(dh_rows, st.norm, p.final_norm_w, dx, g.final_norm_w, g.final_norm_b);
  a.rewind(mark);
}

}  // namespace ascent
