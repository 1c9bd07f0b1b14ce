#include "model/transformer.h"

#include <cstring>

#include "kernels/kernels.h"
#include "model/layers/linear.h"

namespace ascent {

Transformer::Transformer(ModelWeights& weights)
    : w_(weights),
      cfg_(weights.config()),
      norm_(cfg_.norm, cfg_.norm_eps),
      emb_norm_(NormType::LayerNorm, cfg_.norm_eps),
      attention_(cfg_),
      mlp_(cfg_),
      stash_(256u << 20),
      scratch_(64u << 20) {}

LayerContext Transformer::begin(const MicroBatch& mb, DropoutMode dropout) {
  ASCENT_CHECK(mb.B > 0 && mb.T > 0 && mb.tokens) << "empty micro-batch";
  if (mb.T > cfg_.max_position_embeddings && cfg_.position != PositionType::Alibi)
    throw error("[model] sequence length ", mb.T, " exceeds max_position_embeddings ",
                cfg_.max_position_embeddings);
  const int64_t N = mb.B * mb.T;
  for (int64_t i = 0; i < N; ++i) {
    if (mb.tokens[i] < 0 || mb.tokens[i] >= cfg_.vocab_size)
      throw error("[model] token id ", mb.tokens[i], " at position ", i,
                  " is outside the vocabulary [0, ", cfg_.vocab_size, ")");
  }
  stash_.reset();
  scratch_.reset();
  LayerContext ctx;
  ctx.B = mb.B;
  ctx.T = mb.T;
  ctx.compute = w_.compute_dtype();
  ctx.stash = &stash_;
  ctx.scratch = &scratch_;
  if (dropout == DropoutMode::kOn) {
    ctx.dropout.attention = cfg_.attention_dropout;
    ctx.dropout.hidden = cfg_.hidden_dropout;
    ctx.dropout.seed = mb.dropout_seed;
  }
  if (mb.positions) {
    ctx.positions = mb.positions;
  } else {
    if (static_cast<int64_t>(default_positions_.size()) != N) {
      default_positions_.resize(N);
      for (int64_t i = 0; i < N; ++i) default_positions_[i] = static_cast<int32_t>(i % mb.T);
    }
    ctx.positions = default_positions_.data();
  }
  return ctx;
}

LayerContext Transformer::block_context(const LayerContext& ctx, int64_t l) {
  LayerContext c = ctx;
  c.dropout.layer = l;
  return c;
}

void Transformer::forward_blocks(const LayerContext& ctx, const MicroBatch& mb) {
  const int64_t N = ctx.N(), C = cfg_.hidden_size, L = cfg_.num_layers;
  const ModelParams& p = w_.params();
  const ModelParams& c = w_.compute();
  Arena& st = stash_;
  const bool f32 = ctx.compute == DType::F32;

  // Embedding (+ absolute positions) (+ embedding LayerNorm).
  x_.assign(L + 1, Tensor());
  x_mid_.assign(L, Tensor());
  blocks_.assign(L, BlockStash());
  x_[0] = st.alloc(DType::F32, {N, C});
  if (cfg_.embedding_norm) {
    emb_ = st.alloc(DType::F32, {N, C});
    kernels::embedding_forward(mb.tokens, p.wte, emb_);
    emb_norm_.forward(emb_, p.emb_norm_w, p.emb_norm_b, x_[0], &emb_norm_stash_, st);
  } else {
    kernels::embedding_forward(mb.tokens, p.wte, x_[0]);
  }
  if (cfg_.position == PositionType::Absolute) {
    Tensor pos = scratch_.alloc(DType::F32, {N, C});
    kernels::embedding_forward(ctx.positions, p.wpe, pos);
    kernels::add_inplace(x_[0], pos);
    scratch_.reset();
  }

  for (int64_t l = 0; l < L; ++l) {
    BlockStash& b = blocks_[l];
    const BlockParams& pm = p.blocks[l];
    const BlockParams& pc = c.blocks[l];
    const LayerContext lc = block_context(ctx, l);

    Tensor h1 = f32 ? st.alloc(DType::F32, {N, C}) : scratch_.alloc(DType::F32, {N, C});
    norm_.forward(x_[l], pm.norm1_w, pm.norm1_b, h1, &b.norm1, st);
    Tensor h1_c = to_compute(ctx, h1, st);
    x_mid_[l] = st.alloc(DType::F32, {N, C});
    std::memcpy(x_mid_[l].data(), x_[l].data(), x_[l].nbytes());
    attention_.forward(lc, h1_c, pc, pm, x_mid_[l], &b.attn, mb.segment_ids);
    scratch_.reset();

    Tensor h2 = f32 ? st.alloc(DType::F32, {N, C}) : scratch_.alloc(DType::F32, {N, C});
    norm_.forward(x_mid_[l], pm.norm2_w, pm.norm2_b, h2, &b.norm2, st);
    Tensor h2_c = to_compute(ctx, h2, st);
    x_[l + 1] = st.alloc(DType::F32, {N, C});
    std::memcpy(x_[l + 1].data(), x_mid_[l].data(), x_mid_[l].nbytes());
    mlp_.forward(lc, h2_c, pc, pm, x_[l + 1], &b.mlp);
    scratch_.reset();
  }
}

Tensor Transformer::lm_head_weight_c(const LayerContext& ctx) {
  const ModelParams& p = w_.params();
  if (!cfg_.lm_norm_weight) return w_.compute().lm_head;
  // NormHead: rows of the LM head are L2-normalised every time the head is used.
  const int64_t V = cfg_.vocab_size, C = cfg_.hidden_size;
  lm_eff_ = stash_.alloc(DType::F32, {V, C});
  lm_norms_ = stash_.alloc(DType::F32, {V});
  kernels::l2norm_rows_forward(p.lm_head, lm_eff_, lm_norms_);
  return to_compute(ctx, lm_eff_, stash_);
}

void Transformer::head_logits(const LayerContext& ctx) {
  const int64_t N = ctx.N(), C = cfg_.hidden_size, V = cfg_.vocab_size;
  const ModelParams& p = w_.params();
  const bool f32 = ctx.compute == DType::F32;
  Tensor h = f32 ? stash_.alloc(DType::F32, {N, C}) : scratch_.alloc(DType::F32, {N, C});
  norm_.forward(x_[cfg_.num_layers], p.final_norm_w, p.final_norm_b, h, &final_norm_stash_,
                stash_);
  h_final_c_ = to_compute(ctx, h, stash_);
  scratch_.reset();

  Tensor w = lm_head_weight_c(ctx);
  logits_ = stash_.alloc(DType::F32, {N, V});
  linear::forward(h_final_c_, w, Tensor(), logits_);
}

namespace {
LossSum sum_losses(const Tensor& losses, const int32_t* targets) {
  LossSum loss;
  const float* l = losses.f32();
  for (int64_t i = 0; i < losses.numel(); ++i) {
    if (targets[i] == kernels::kIgnoreIndex) continue;
    loss.sum += l[i];
    ++loss.tokens;
  }
  return loss;
}
}  // namespace

LossSum Transformer::head_loss(const LayerContext& ctx, const MicroBatch& mb) {
  if (!mb.targets) return LossSum();
  const Arena::Mark mark = scratch_.mark();
  Tensor lse = scratch_.alloc(DType::F32, {ctx.N()});
  Tensor losses = scratch_.alloc(DType::F32, {ctx.N()});
  kernels::cross_entropy_forward(logits_, mb.targets, cfg_.z_loss, losses, lse);
  const LossSum loss = sum_losses(losses, mb.targets);
  scratch_.rewind(mark);
  return loss;
}

void Transformer::head_loss_backward(const LayerContext& ctx, const MicroBatch& mb,
                                     float grad_scale, const Tensor& dx, LossSum* loss) {
  const int64_t N = ctx.N(), C = cfg_.hidden_size, V = cfg_.vocab_size;
  const ModelParams& p = w_.params();
  const ModelParams& g = w_.grads();
  Arena& s = scratch_;
  const Arena::Mark mark = s.mark();

  // The loss and dlogits, which overwrite the logits (the largest activation of the model).
  Tensor losses = s.alloc(DType::F32, {N});
  kernels::cross_entropy_forward_backward(logits_, mb.targets, cfg_.z_loss, grad_scale, losses);
  *loss = sum_losses(losses, mb.targets);
  Tensor dlogits_c = to_compute(ctx, logits_, s);
  Tensor w = cfg_.lm_norm_weight ? to_compute(ctx, lm_eff_, s) : w_.compute().lm_head;

  Tensor dh = s.alloc(DType::F32, {N, C});
  if (cfg_.lm_norm_weight) {
    Tensor dw_eff = s.alloc(DType::F32, {V, C});
    kernels::matmul(dlogits_c, false, w, false, dh, false);
    kernels::matmul(dlogits_c, true, h_final_c_, false, dw_eff, false);
    kernels::l2norm_rows_backward(dw_eff, lm_eff_, lm_norms_, g.lm_head);
  } else {
    linear::backward(logits_, dlogits_c, h_final_c_, w, dh, g.lm_head, Tensor());
  }
  kernels::fill(dx, 0.f);
  norm_.backward(dh, final_norm_stash_, p.final_norm_w, dx, g.final_norm_w, g.final_norm_b);
  s.rewind(mark);
}

void Transformer::blocks_backward(const LayerContext& ctx, const Tensor& dx) {
  const int64_t N = ctx.N(), C = cfg_.hidden_size;
  const ModelParams& p = w_.params();
  const ModelParams& c = w_.compute();
  const ModelParams& g = w_.grads();
  for (int64_t l = cfg_.num_layers - 1; l >= 0; --l) {
    const BlockStash& b = blocks_[l];
    const LayerContext lc = block_context(ctx, l);
    const Arena::Mark mark = scratch_.mark();
    Tensor dh = scratch_.alloc(DType::F32, {N, C});
    // dx holds d loss / d x_[l+1]; it flows unchanged through the residual to x_mid.
    mlp_.backward(lc, dx, c.blocks[l], b.mlp, dh, g.blocks[l]);
    norm_.backward(dh, b.norm2, p.blocks[l].norm2_w, dx, g.blocks[l].norm2_w, g.blocks[l].norm2_b);
    // dx now holds d loss / d x_mid[l].
    attention_.backward(lc, dx, c.blocks[l], b.attn, dh, g.blocks[l]);
    norm_.backward(dh, b.norm1, p.blocks[l].norm1_w, dx, g.blocks[l].norm1_w, g.blocks[l].norm1_b);
    scratch_.rewind(mark);
  }
}

void Transformer::embedding_backward(const LayerContext& ctx, const MicroBatch& mb,
                                     const Tensor& dx) {
  const int64_t N = ctx.N(), C = cfg_.hidden_size;
  const ModelParams& p = w_.params();
  const ModelParams& g = w_.grads();
  Tensor de = dx;
  if (cfg_.embedding_norm) {
    de = scratch_.zeros(DType::F32, {N, C});
    emb_norm_.backward(dx, emb_norm_stash_, p.emb_norm_w, de, g.emb_norm_w, g.emb_norm_b);
  }
  kernels::embedding_backward(mb.tokens, de, g.wte);
  if (cfg_.position == PositionType::Absolute)
    kernels::embedding_backward(ctx.positions, de, g.wpe);
}

LossSum Transformer::forward_backward(const MicroBatch& mb, float grad_scale) {
  ASCENT_CHECK(mb.targets) << "forward_backward needs targets";
  LayerContext ctx = begin(mb, DropoutMode::kOn);
  forward_blocks(ctx, mb);
  head_logits(ctx);

  LossSum loss;
  Tensor dx = stash_.alloc(DType::F32, {ctx.N(), cfg_.hidden_size});
  head_loss_backward(ctx, mb, grad_scale, dx, &loss);
  blocks_backward(ctx, dx);
  embedding_backward(ctx, mb, dx);
  return loss;
}

LossSum Transformer::forward(const MicroBatch& mb, const Tensor& logits, DropoutMode dropout) {
  LayerContext ctx = begin(mb, dropout);
  forward_blocks(ctx, mb);
  head_logits(ctx);
  LossSum loss = head_loss(ctx, mb);
  if (logits.defined()) {
    ASCENT_CHECK(logits.numel() == logits_.numel()) << "logits " << logits.shape_str();
    std::memcpy(logits.data(), logits_.data(), logits_.nbytes());
  }
  return loss;
}

}  // namespace ascent
