#include "model/transformer.h"

#include <algorithm>
#include <exception>

#include "kernels/kernels.h"
#include "model/layers/linear.h"

namespace ascent {

Transformer::Transformer(ModelWeights& weights, const TransformerOptions& opts)
    : w_(weights),
      cfg_(weights.config()),
      tp_(opts.tp),
      norm_(cfg_.norm, cfg_.norm_eps),
      emb_norm_(NormType::LayerNorm, cfg_.norm_eps),
      attention_(cfg_, opts.tp.rank(), opts.tp.size()),
      mlp_(cfg_, opts.tp.size()),
      scratch_(64u << 20),
      dgrad_(4u << 20) {
  const ShardSpec& shard = w_.shard();
  if (shard.tp_size != tp_.size() || shard.tp_rank != tp_.rank())
    throw error("[model] the weights are TP shard ", shard.tp_rank, " of ", shard.tp_size,
                ", the transformer runs as rank ", tp_.rank(), " of ", tp_.size());
  if (opts.tp.sequence_parallel && !opts.tp.group)
    throw error("[model] --sequence-parallel needs a tensor-parallel group");
  const std::vector<LayerRange> ranges = shard.resolved_layers(cfg_);
  if (opts.chunk < 0 || opts.chunk >= static_cast<int>(ranges.size()))
    throw error("[model] chunk ", opts.chunk, " of a shard with ", ranges.size(), " chunks");
  const LayerRange r = ranges[opts.chunk];
  const std::vector<BlockParams>& blocks = w_.params().blocks;
  for (size_t i = 0; i < blocks.size(); ++i)
    if (blocks[i].layer >= r.first && blocks[i].layer < r.last)
      blocks_.push_back(static_cast<int64_t>(i));
  groups_ = recompute_groups(opts.recompute, static_cast<int64_t>(blocks_.size()));
  has_embedding_ = shard.has_embedding && opts.chunk == 0;
  has_head_ = shard.has_head && opts.chunk + 1 == static_cast<int>(ranges.size());
  vocab_start_ = w_.layout().vocab_start();
  vocab_rows_ = w_.layout().vocab_rows();
  vocab_valid_ = std::clamp<int64_t>(cfg_.vocab_size - vocab_start_, 0, vocab_rows_);
  ASCENT_CHECK(opts.slots >= 1) << "slots " << opts.slots;
  for (int i = 0; i < opts.slots; ++i) slots_.push_back(std::make_unique<Slot>());
  residency_ = opts.residency;
}

Transformer::~Transformer() = default;

Transformer::Use::Use(ParamResidency* r, ParamRegion g, bool b) : res(r), region(g), backward(b) {
  if (res) res->acquire(region, backward);
}

// Release may communicate (and throw); skipped while an exception unwinds.
Transformer::Use::~Use() noexcept(false) {
  if (res && std::uncaught_exceptions() == 0) res->release(region, backward);
}

namespace {
constexpr ParamRegion kEmbeddingRegion{ParamRegion::Kind::kEmbedding, -1};
constexpr ParamRegion kHeadRegion{ParamRegion::Kind::kHead, -1};
ParamRegion block_region(int64_t layer) { return {ParamRegion::Kind::kBlock, layer}; }
}  // namespace

size_t Transformer::activation_bytes_peak() const {
  size_t stash = 0;
  for (const auto& s : slots_) stash += s->stash.peak();
  return stash + scratch_.peak() + dgrad_.peak();
}

int64_t Transformer::boundary_elements(int64_t B, int64_t T) const {
  const int64_t N = B * T;
  return (tp_.sp() ? N / tp_.size() : N) * cfg_.hidden_size;
}

LayerContext Transformer::begin(Slot& s, const MicroBatch& mb, DropoutMode dropout) {
  ASCENT_CHECK(mb.B > 0 && mb.T > 0 && mb.tokens) << "empty micro-batch";
  if (mb.T > cfg_.max_position_embeddings && cfg_.position != PositionType::Alibi)
    throw error("[model] sequence length ", mb.T, " exceeds max_position_embeddings ",
                cfg_.max_position_embeddings);
  const int64_t N = mb.B * mb.T;
  if (tp_.sp() && N % tp_.size() != 0)
    throw error("[model] --sequence-parallel: micro-batch of ", N,
                " tokens is not divisible by --tensor-model-parallel-size ", tp_.size());
  const int64_t bad = kernels::find_out_of_range(mb.tokens, N, 0, cfg_.vocab_size);
  if (bad >= 0)
    throw error("[model] token id ", mb.tokens[bad], " at position ", bad,
                " is outside the vocabulary [0, ", cfg_.vocab_size, ")");
  s.stash.reset();
  scratch_.reset();
  s.mb = mb;
  s.trained = false;
  LayerContext ctx;
  ctx.B = mb.B;
  ctx.T = mb.T;
  ctx.compute = w_.compute_dtype();
  ctx.stash = &s.stash;
  ctx.scratch = &scratch_;
  ctx.tp = tp_;
  if (dropout == DropoutMode::kOn) {
    ctx.dropout.attention = cfg_.attention_dropout;
    ctx.dropout.hidden = cfg_.hidden_dropout;
    ctx.dropout.seed = mb.dropout_seed;
  }
  if (mb.positions) {
    ctx.positions = mb.positions;
  } else {
    if (static_cast<int64_t>(s.default_positions.size()) != N) {
      s.default_positions.resize(N);
      for (int64_t i = 0; i < N; ++i) s.default_positions[i] = static_cast<int32_t>(i % mb.T);
    }
    ctx.positions = s.default_positions.data();
  }
  s.ctx = ctx;
  return ctx;
}

LayerContext Transformer::block_context(const LayerContext& ctx, int64_t layer) {
  LayerContext c = ctx;
  c.dropout.layer = layer;
  return c;
}

Tensor Transformer::gather_rows(const LayerContext& ctx, const Tensor& x, Arena& arena) {
  if (!tp_.sp()) return x;
  Tensor all = arena.alloc(DType::F32, {ctx.N(), x.size(-1)});
  tp_.group->all_gather(x.f32(), x.numel(), all.f32());
  return all;
}

Tensor Transformer::reduce_rows(const LayerContext& ctx, const Tensor& d, Arena& arena) {
  if (tp_.sp()) {
    Tensor mine = arena.alloc(DType::F32, {ctx.rows(), d.size(-1)});
    tp_.group->reduce_scatter_sum(d.f32(), mine.f32(), mine.numel());
    return mine;
  }
  if (tp_.active()) tp_.group->all_reduce_sum(d.f32(), d.numel());
  return d;
}

// Embedding (+ absolute positions) (+ embedding LayerNorm) into s.x[0] [rows, C].
void Transformer::embed(Slot& s) {
  const Use use(residency_, kEmbeddingRegion, false);
  const LayerContext& ctx = s.ctx;
  const int64_t N = ctx.N(), R = ctx.rows(), C = cfg_.hidden_size;
  const ModelParams& p = w_.params();
  Arena& st = s.stash;
  Tensor e = st.alloc(DType::F32, {R, C});
  if (tp_.active()) {
    // Vocabulary-parallel: each rank looks up its own rows, the partial results are summed.
    const Arena::Mark mark = scratch_.mark();
    Tensor partial = scratch_.alloc(DType::F32, {N, C});
    kernels::embedding_forward_range(s.mb.tokens, vocab_start_, p.wte, partial);
    if (tp_.sp()) {
      tp_.group->reduce_scatter_sum(partial.f32(), e.f32(), R * C);
    } else {
      tp_.group->all_reduce_sum(partial.f32(), N * C);
      kernels::copy(partial, e);
    }
    scratch_.rewind(mark);
  } else {
    kernels::embedding_forward(s.mb.tokens, p.wte, e);
  }
  if (cfg_.position == PositionType::Absolute) {
    const Arena::Mark mark = scratch_.mark();
    Tensor pos = scratch_.alloc(DType::F32, {R, C});
    kernels::embedding_forward(ctx.positions + ctx.row_begin(), p.wpe, pos);
    kernels::add_inplace(e, pos);
    scratch_.rewind(mark);
  }
  if (cfg_.embedding_norm) {
    s.emb = e;
    s.x[0] = st.alloc(DType::F32, {R, C});
    emb_norm_.forward(s.emb, p.emb_norm_w, p.emb_norm_b, s.x[0], &s.emb_norm, st);
  } else {
    s.x[0] = e;
  }
}

void Transformer::forward_blocks(Slot& s, bool train) {
  const int64_t R = s.ctx.rows(), C = cfg_.hidden_size;
  s.dropped = false;
  s.block_mark.assign(blocks_.size(), Arena::Mark());
  for (const LayerGroup& g : groups_) {
    const Arena::Mark start = s.stash.mark();
    for (int64_t i = g.begin; i < g.end; ++i) {
      s.block_mark[i] = s.stash.mark();
      forward_block(s, static_cast<size_t>(i));
    }
    if (!(train && g.recompute)) continue;
    // Keep only the group's output (the next group's input), moved down to where it began.
    Tensor out = scratch_.alloc(DType::F32, {R, C});
    kernels::copy(s.x[g.end], out);
    s.stash.rewind(start);
    s.x[g.end] = s.stash.alloc(DType::F32, {R, C});
    kernels::copy(out, s.x[g.end]);
    scratch_.reset();
    for (int64_t i = g.begin; i < g.end; ++i) {
      s.blocks[i] = BlockStash();
      s.x_mid[i] = Tensor();
      if (i > g.begin) s.x[i] = Tensor();
      s.block_mark[i] = start;
    }
    s.dropped = true;
  }
}

void Transformer::recompute_group(Slot& s, const LayerGroup& g) {
  // Everything above the group's start is free by now (the later layers are done), the kept
  // output included: the backward reads only the stashes.
  s.stash.rewind(s.block_mark[g.begin]);
  for (int64_t i = g.begin; i < g.end; ++i) {
    s.block_mark[i] = s.stash.mark();
    forward_block(s, static_cast<size_t>(i));
  }
}

void Transformer::forward_block(Slot& s, size_t i) {
  const LayerContext& ctx = s.ctx;
  Arena& st = s.stash;
  const int64_t R = ctx.rows(), C = cfg_.hidden_size;
  // f32 without sequence parallelism: the normed input is the matmul operand itself (stashed).
  const bool stash_normed = ctx.compute == DType::F32 && !tp_.sp();
  BlockStash& b = s.blocks[i];
  const BlockParams& pm = w_.params().blocks[blocks_[i]];
  const BlockParams& pc = w_.compute().blocks[blocks_[i]];
  const LayerContext lc = block_context(ctx, pm.layer);
  const Use use(residency_, block_region(pm.layer), false);

  Tensor h1 = stash_normed ? st.alloc(DType::F32, {R, C}) : scratch_.alloc(DType::F32, {R, C});
  norm_.forward(s.x[i], pm.norm1_w, pm.norm1_b, h1, &b.norm1, st);
  Tensor h1_c =
      to_compute(ctx, gather_rows(ctx, h1, ctx.compute == DType::F32 ? st : scratch_), st);
  s.x_mid[i] = st.alloc(DType::F32, {R, C});
  kernels::copy(s.x[i], s.x_mid[i]);
  attention_.forward(lc, h1_c, pc, pm, s.x_mid[i], &b.attn, s.mb.segment_ids);
  scratch_.reset();

  Tensor h2 = stash_normed ? st.alloc(DType::F32, {R, C}) : scratch_.alloc(DType::F32, {R, C});
  norm_.forward(s.x_mid[i], pm.norm2_w, pm.norm2_b, h2, &b.norm2, st);
  Tensor h2_c =
      to_compute(ctx, gather_rows(ctx, h2, ctx.compute == DType::F32 ? st : scratch_), st);
  s.x[i + 1] = st.alloc(DType::F32, {R, C});
  kernels::copy(s.x_mid[i], s.x[i + 1]);
  mlp_.forward(lc, h2_c, pc, pm, s.x[i + 1], &b.mlp);
  scratch_.reset();
}

Tensor Transformer::lm_head_weight_c(Slot& s) {
  const ModelParams& p = w_.params();
  if (!cfg_.lm_norm_weight) return w_.compute().lm_head;
  // NormHead: rows of the LM head are L2-normalised every time the head is used.
  const int64_t V = p.lm_head.size(0), C = cfg_.hidden_size;
  s.lm_eff = s.stash.alloc(DType::F32, {V, C});
  s.lm_norms = s.stash.alloc(DType::F32, {V});
  kernels::l2norm_rows_forward(p.lm_head, s.lm_eff, s.lm_norms);
  return to_compute(s.ctx, s.lm_eff, s.stash);
}

void Transformer::head_logits(Slot& s) {
  const Use use(residency_, kHeadRegion, false);
  const LayerContext& ctx = s.ctx;
  const int64_t N = ctx.N(), R = ctx.rows(), C = cfg_.hidden_size;
  const ModelParams& p = w_.params();
  const bool stash_normed = ctx.compute == DType::F32 && !tp_.sp();
  Tensor h = stash_normed ? s.stash.alloc(DType::F32, {R, C}) : scratch_.alloc(DType::F32, {R, C});
  norm_.forward(s.x.back(), p.final_norm_w, p.final_norm_b, h, &s.final_norm, s.stash);
  s.h_final_c =
      to_compute(ctx, gather_rows(ctx, h, ctx.compute == DType::F32 ? s.stash : scratch_), s.stash);
  scratch_.reset();

  Tensor w = lm_head_weight_c(s);
  s.logits = s.stash.alloc(DType::F32, {N, w.size(0)});
  linear::forward(s.h_final_c, w, Tensor(), s.logits);
}

LossSum Transformer::head_loss(Slot& s, bool train, float grad_scale) {
  if (!s.mb.targets) return LossSum();
  const int64_t N = s.ctx.N();
  const Arena::Mark mark = scratch_.mark();
  Tensor losses = scratch_.alloc(DType::F32, {N});
  const bool whole_vocab = !tp_.active() && vocab_rows_ == cfg_.vocab_size;
  if (whole_vocab && train) {
    // Loss and dlogits in one pass; dlogits overwrite the logits (the largest activation).
    kernels::cross_entropy_forward_backward(s.logits, s.mb.targets, cfg_.z_loss, grad_scale,
                                            losses);
  } else if (whole_vocab) {
    Tensor lse = scratch_.alloc(DType::F32, {N});
    kernels::cross_entropy_forward(s.logits, s.mb.targets, cfg_.z_loss, losses, lse);
  } else {
    // Vocabulary-parallel (or padded vocabulary): max and sums reduced over the TP group.
    Tensor max = scratch_.alloc(DType::F32, {N});
    Tensor sums = scratch_.alloc(DType::F32, {2 * N});
    kernels::vocab_parallel_ce_max(s.logits, vocab_valid_, max);
    if (tp_.active()) tp_.group->all_reduce_max(max.f32(), N);
    kernels::vocab_parallel_ce_sums(s.logits, s.mb.targets, vocab_start_, vocab_valid_, max, sums);
    if (tp_.active()) tp_.group->all_reduce_sum(sums.f32(), 2 * N);
    kernels::vocab_parallel_ce_finish(s.logits, s.mb.targets, vocab_start_, vocab_valid_, max, sums,
                                      cfg_.z_loss, grad_scale, losses, train ? s.logits : Tensor());
  }
  s.trained = train;
  const kernels::MaskedSum total = kernels::masked_sum(losses, s.mb.targets);
  const LossSum loss{total.sum, total.count};
  scratch_.rewind(mark);
  return loss;
}

void Transformer::head_backward(Slot& s, const Tensor& dx) {
  const LayerContext& ctx = s.ctx;
  const int64_t N = ctx.N(), C = cfg_.hidden_size;
  const ModelParams& p = w_.params();
  const ModelParams& g = w_.grads();
  Arena& a = scratch_;
  const Arena::Mark mark = a.mark();
  ASCENT_CHECK(s.trained) << "stage_backward without a training forward";
  const Use use(residency_, kHeadRegion, true);
  Tensor dlogits_c = to_compute(ctx, s.logits, a);
  Tensor w = cfg_.lm_norm_weight ? to_compute(ctx, s.lm_eff, a) : w_.compute().lm_head;

  Tensor dh = a.alloc(DType::F32, {N, C});
  if (cfg_.lm_norm_weight) {
    Tensor dw_eff = a.alloc(DType::F32, {w.size(0), C});
    kernels::matmul(dlogits_c, false, w, false, dh, false);
    kernels::matmul(dlogits_c, true, s.h_final_c, false, dw_eff, false);
    kernels::l2norm_rows_backward(dw_eff, s.lm_eff, s.lm_norms, g.lm_head);
  } else {
    linear::backward(s.logits, dlogits_c, s.h_final_c, w, dh, g.lm_head, Tensor());
  }
  // Each rank's dh covers its vocabulary slice only.
  Tensor dh_rows = reduce_rows(ctx, dh, a);
  kernels::fill(dx, 0.f);
  norm_.backward(dh_rows, s.final_norm, p.final_norm_w, dx, g.final_norm_w, g.final_norm_b);
  a.rewind(mark);
}

void Transformer::blocks_backward(Slot& s, const Tensor& dx) {
  const LayerContext& ctx = s.ctx;
  const int64_t N = ctx.N(), C = cfg_.hidden_size;
  const ModelParams& p = w_.params();
  const ModelParams& c = w_.compute();
  const ModelParams& g = w_.grads();
  auto group = groups_.rbegin();
  for (int64_t i = static_cast<int64_t>(blocks_.size()) - 1; i >= 0; --i) {
    if (i < group->begin) ++group;
    if (s.dropped && group->recompute && i == group->end - 1) recompute_group(s, *group);
    const BlockStash& b = s.blocks[i];
    const int64_t k = blocks_[i];
    const LayerContext lc = block_context(ctx, p.blocks[k].layer);
    const Use use(residency_, block_region(p.blocks[k].layer), true);
    const Arena::Mark mark = scratch_.mark();
    Tensor dh = scratch_.alloc(DType::F32, {N, C});
    // dx holds d loss / d x[i+1]; it flows unchanged through the residual to x_mid.
    mlp_.backward(lc, dx, c.blocks[k], b.mlp, dh, g.blocks[k]);
    norm_.backward(reduce_rows(ctx, dh, scratch_), b.norm2, p.blocks[k].norm2_w, dx,
                   g.blocks[k].norm2_w, g.blocks[k].norm2_b);
    // dx now holds d loss / d x_mid[i].
    attention_.backward(lc, dx, c.blocks[k], b.attn, dh, g.blocks[k]);
    norm_.backward(reduce_rows(ctx, dh, scratch_), b.norm1, p.blocks[k].norm1_w, dx,
                   g.blocks[k].norm1_w, g.blocks[k].norm1_b);
    scratch_.rewind(mark);
    s.stash.rewind(s.block_mark[i]);  // block i's stash and output are dead now
  }
}

void Transformer::embedding_backward(Slot& s, const Tensor& dx) {
  const LayerContext& ctx = s.ctx;
  const int64_t R = ctx.rows(), C = cfg_.hidden_size;
  const ModelParams& p = w_.params();
  const ModelParams& g = w_.grads();
  const Use use(residency_, kEmbeddingRegion, true);
  const Arena::Mark mark = scratch_.mark();
  Tensor de = dx;
  if (cfg_.embedding_norm) {
    de = scratch_.zeros(DType::F32, {R, C});
    emb_norm_.backward(dx, s.emb_norm, p.emb_norm_w, de, g.emb_norm_w, g.emb_norm_b);
  }
  if (cfg_.position == PositionType::Absolute)
    kernels::embedding_backward(ctx.positions + ctx.row_begin(), de, g.wpe);
  if (tp_.active()) {
    kernels::embedding_backward_range(s.mb.tokens, vocab_start_, gather_rows(ctx, de, scratch_),
                                      g.wte);
  } else {
    kernels::embedding_backward(s.mb.tokens, de, g.wte);
  }
  scratch_.rewind(mark);
}

Tensor Transformer::stage_forward(int slot, const MicroBatch& mb, const float* input, bool train,
                                  float grad_scale, LossSum* loss) {
  ASCENT_CHECK(slot >= 0 && slot < static_cast<int>(slots_.size())) << "slot " << slot;
  Slot& s = *slots_[slot];
  const LayerContext ctx = begin(s, mb, train ? DropoutMode::kOn : DropoutMode::kOff);
  const int64_t R = ctx.rows(), C = cfg_.hidden_size;
  s.x.assign(blocks_.size() + 1, Tensor());
  s.x_mid.assign(blocks_.size(), Tensor());
  s.blocks.assign(blocks_.size(), BlockStash());
  if (has_embedding_) {
    embed(s);
  } else {
    ASCENT_CHECK(input) << "stage_forward: a stage without the embedding needs an input";
    s.x[0] = s.stash.alloc(DType::F32, {R, C});
    kernels::copy(Tensor(const_cast<float*>(input), DType::F32, {R, C}), s.x[0]);
  }
  forward_blocks(s, train);
  if (!has_head_) return s.x.back();
  ASCENT_CHECK(!train || mb.targets) << "training needs targets";
  s.head_mark = s.stash.mark();
  head_logits(s);
  const LossSum l = head_loss(s, train, grad_scale);
  if (loss) *loss = l;
  return Tensor();
}

Tensor Transformer::stage_backward(int slot, const float* doutput) {
  ASCENT_CHECK(slot >= 0 && slot < static_cast<int>(slots_.size())) << "slot " << slot;
  Slot& s = *slots_[slot];
  const int64_t R = s.ctx.rows(), C = cfg_.hidden_size;
  dgrad_.reset();
  Tensor dx = dgrad_.alloc(DType::F32, {R, C});
  if (has_head_) {
    head_backward(s, dx);
    s.stash.rewind(s.head_mark);  // the logits and the head's stash are dead now
  } else {
    ASCENT_CHECK(doutput) << "stage_backward: a stage without the head needs doutput";
    kernels::copy(Tensor(const_cast<float*>(doutput), DType::F32, {R, C}), dx);
  }
  blocks_backward(s, dx);
  if (has_embedding_) {
    embedding_backward(s, dx);
    return Tensor();
  }
  return dx;
}

LossSum Transformer::forward_backward(const MicroBatch& mb, float grad_scale) {
  ASCENT_CHECK(mb.targets) << "forward_backward needs targets";
  ASCENT_CHECK(has_embedding_ && has_head_) << "forward_backward needs the whole model";
  LossSum loss;
  stage_forward(0, mb, nullptr, /*train=*/true, grad_scale, &loss);
  stage_backward(0, nullptr);
  return loss;
}

LossSum Transformer::forward(const MicroBatch& mb, const Tensor& logits, DropoutMode dropout) {
  ASCENT_CHECK(has_embedding_ && has_head_) << "forward needs the whole model";
  Slot& s = *slots_[0];
  begin(s, mb, dropout);
  s.x.assign(blocks_.size() + 1, Tensor());
  s.x_mid.assign(blocks_.size(), Tensor());
  s.blocks.assign(blocks_.size(), BlockStash());
  embed(s);
  forward_blocks(s, /*train=*/false);
  head_logits(s);
  LossSum loss = head_loss(s, /*train=*/false, 0.f);
  if (logits.defined()) {
    ASCENT_CHECK(logits.numel() == s.logits.numel()) << "logits " << logits.shape_str();
    kernels::copy(s.logits, logits.view({s.logits.size(0), s.logits.size(1)}));
  }
  return loss;
}

void sum_replicated_grads(const ModelWeights& weights, const TensorParallelGroup& tp) {
  if (tp.size() <= 1) return;
  for (const ParamSpec& spec : weights.layout().specs())
    if (spec.split_dim < 0) tp.all_reduce_sum(weights.grad() + spec.offset, spec.numel);
}

}  // namespace ascent
