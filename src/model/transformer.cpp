#include "model/transformer.h"

#include <exception>

#include "kernels/kernels.h"

namespace ascent {

Transformer::Transformer(ModelWeights& weights, const TransformerOptions& opts)
    : w_(weights),
      cfg_(weights.config()),
      regions_(tp::make_regions(opts.tp)),
      embedding_(cfg_, *regions_, w_.layout().vocab_start()),
      block_(cfg_, *regions_),
      head_(cfg_, *regions_, w_.layout().vocab_start(), w_.layout().vocab_rows()),
      max_sequence_(block_.attention().positions().max_positions()),
      scratch_(64u << 20),
      dgrad_(4u << 20) {
  const ShardSpec& shard = w_.shard();
  if (shard.tp_size != regions_->size() || shard.tp_rank != regions_->rank())
    throw error("[model] the weights are TP shard ", shard.tp_rank, " of ", shard.tp_size,
                ", the transformer runs as rank ", regions_->rank(), " of ", regions_->size());
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
  // The chunk's ends: the embedding or the previous stage's hidden states come in; the head and
  // the loss, or the hidden states for the next stage, go out (and the reverse in backward).
  forward_in_ = has_embedding_ ? &Transformer::embed : &Transformer::receive_input;
  forward_out_ = has_head_ ? &Transformer::head_output : &Transformer::hand_on_output;
  backward_in_ = has_head_ ? &Transformer::head_backward : &Transformer::receive_doutput;
  backward_out_ = has_embedding_ ? &Transformer::embedding_backward : &Transformer::hand_on_dinput;
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
  return regions_->rows(B * T) * cfg_.hidden_size;
}

LayerContext Transformer::begin(Slot& s, const MicroBatch& mb, DropoutMode dropout) {
  ASCENT_CHECK(mb.B > 0 && mb.T > 0 && mb.tokens) << "empty micro-batch";
  if (mb.T > max_sequence_)
    throw error("[model] sequence length ", mb.T, " exceeds max_position_embeddings ",
                cfg_.max_position_embeddings);
  const int64_t N = mb.B * mb.T;
  regions_->check_rows(N);
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
  tp::set_rows(*regions_, ctx);
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

// Embedding (+ absolute positions) (+ embedding LayerNorm) into s.x[0] [rows, C].
void Transformer::embed(Slot& s, const float*) {
  const Use use(residency_, kEmbeddingRegion, false);
  s.x[0] = embedding_.forward(s.ctx, s.mb.tokens, w_.params(), &s.emb);
}

// The previous pipeline stage's output [rows, C] into s.x[0].
void Transformer::receive_input(Slot& s, const float* input) {
  ASCENT_CHECK(input) << "stage_forward: a stage without the embedding needs an input";
  const int64_t R = s.ctx.rows(), C = cfg_.hidden_size;
  s.x[0] = s.stash.alloc(DType::F32, {R, C});
  kernels::copy(Tensor(const_cast<float*>(input), DType::F32, {R, C}), s.x[0]);
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
  const BlockParams& pm = w_.params().blocks[blocks_[i]];
  const BlockParams& pc = w_.compute().blocks[blocks_[i]];
  const Use use(residency_, block_region(pm.layer), false);
  s.x[i + 1] = block_.forward(block_context(s.ctx, pm.layer), s.x[i], pm, pc, &s.blocks[i],
                              s.mb.segment_ids);
}

void Transformer::head_logits(Slot& s) {
  const Use use(residency_, kHeadRegion, false);
  head_.forward(s.ctx, s.x.back(), w_.params(), w_.compute(), &s.head);
}

LossSum Transformer::head_loss(Slot& s, bool train, float grad_scale) {
  if (!s.mb.targets) return LossSum();
  const kernels::MaskedSum total = head_.loss(s.ctx, s.mb.targets, train, grad_scale, s.head);
  s.trained = train;
  return LossSum{total.sum, total.count};
}

Tensor Transformer::head_output(Slot& s, bool train, float grad_scale, LossSum* loss) {
  ASCENT_CHECK(!train || s.mb.targets) << "training needs targets";
  s.head_mark = s.stash.mark();
  head_logits(s);
  const LossSum l = head_loss(s, train, grad_scale);
  if (loss) *loss = l;
  return Tensor();
}

Tensor Transformer::hand_on_output(Slot& s, bool, float, LossSum*) { return s.x.back(); }

void Transformer::head_backward(Slot& s, const float*, const Tensor& dx) {
  ASCENT_CHECK(s.trained) << "stage_backward without a training forward";
  {
    const Use use(residency_, kHeadRegion, true);
    head_.backward(s.ctx, s.head, w_.params(), w_.compute(), dx, w_.grads());
  }
  s.stash.rewind(s.head_mark);  // the logits and the head's stash are dead now
}

void Transformer::receive_doutput(Slot&, const float* doutput, const Tensor& dx) {
  ASCENT_CHECK(doutput) << "stage_backward: a stage without the head needs doutput";
  kernels::copy(Tensor(const_cast<float*>(doutput), DType::F32, {dx.size(0), dx.size(1)}), dx);
}

void Transformer::blocks_backward(Slot& s, const Tensor& dx) {
  const ModelParams& p = w_.params();
  const ModelParams& c = w_.compute();
  const ModelParams& g = w_.grads();
  auto run = groups_.rbegin();  // the run/recompute group of block i
  for (int64_t i = static_cast<int64_t>(blocks_.size()) - 1; i >= 0; --i) {
    if (i < run->begin) ++run;
    if (s.dropped && run->recompute && i == run->end - 1) recompute_group(s, *run);
    const int64_t k = blocks_[i];
    const Use use(residency_, block_region(p.blocks[k].layer), true);
    block_.backward(block_context(s.ctx, p.blocks[k].layer), dx, p.blocks[k], c.blocks[k],
                    s.blocks[i], g.blocks[k]);
    s.stash.rewind(s.block_mark[i]);  // block i's stash and output are dead now
  }
}

Tensor Transformer::embedding_backward(Slot& s, const Tensor& dx) {
  const Use use(residency_, kEmbeddingRegion, true);
  embedding_.backward(s.ctx, s.mb.tokens, dx, w_.params(), s.emb, w_.grads());
  return Tensor();
}

Tensor Transformer::hand_on_dinput(Slot&, const Tensor& dx) { return dx; }

Tensor Transformer::stage_forward(int slot, const MicroBatch& mb, const float* input, bool train,
                                  float grad_scale, LossSum* loss) {
  ASCENT_CHECK(slot >= 0 && slot < static_cast<int>(slots_.size())) << "slot " << slot;
  Slot& s = *slots_[slot];
  begin(s, mb, train ? DropoutMode::kOn : DropoutMode::kOff);
  s.x.assign(blocks_.size() + 1, Tensor());
  s.blocks.assign(blocks_.size(), BlockStash());
  (this->*forward_in_)(s, input);
  forward_blocks(s, train);
  return (this->*forward_out_)(s, train, grad_scale, loss);
}

Tensor Transformer::stage_backward(int slot, const float* doutput) {
  ASCENT_CHECK(slot >= 0 && slot < static_cast<int>(slots_.size())) << "slot " << slot;
  Slot& s = *slots_[slot];
  dgrad_.reset();
  Tensor dx = dgrad_.alloc(DType::F32, {s.ctx.rows(), cfg_.hidden_size});
  (this->*backward_in_)(s, doutput, dx);
  blocks_backward(s, dx);
  return (this->*backward_out_)(s, dx);
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
  s.blocks.assign(blocks_.size(), BlockStash());
  embed(s, nullptr);
  forward_blocks(s, /*train=*/false);
  head_logits(s);
  LossSum loss = head_loss(s, /*train=*/false, 0.f);
  if (logits.defined()) {
    const Tensor& mine = s.head.logits;
    ASCENT_CHECK(logits.numel() == mine.numel()) << "logits " << logits.shape_str();
    kernels::copy(mine, logits.view({mine.size(0), mine.size(1)}));
  }
  return loss;
}

}  // namespace ascent
