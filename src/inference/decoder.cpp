#include "inference/decoder.h"

#include <cmath>

#include "inference/decode_attention.h"
#include "kernels/kernels.h"
#include "model/layers/context.h"
#include "model/layers/linear.h"

namespace ascent::inference {

// The rows of one call: every chunk's tokens one after another.
struct Decoder::Step {
  int64_t N = 0;
  std::vector<int32_t> tokens;     // [N]
  std::vector<int32_t> positions;  // [N] cache length of the sequence + index in the chunk
  std::vector<SeqRows> seqs;       // [chunks]
  LayerContext ctx;                // B = 1, T = N; arenas for the layers' temporaries
};

Decoder::Decoder(const ModelWeights& weights)
    : w_(weights),
      cfg_(weights.config()),
      NH_(cfg_.num_attention_heads),
      KVH_(cfg_.num_query_groups),
      HS_(cfg_.head_size()),
      one_rank_(tp::make_regions(TensorParallelism{})),
      embedding_(cfg_, *one_rank_, 0),
      norm_(cfg_.norm, cfg_.norm_eps),
      qkv_(*one_rank_),
      out_(*one_rank_),
      positions_(make_attention_positions(cfg_, 0, NH_)),
      mlp_(cfg_, *one_rank_),
      head_(cfg_, *one_rank_, 0, cfg_.vocab_size),
      head_arena_(64),
      arena_(4u << 20),
      layer_(4u << 20),
      scratch_(1u << 20) {
  // NormHead: training normalises the rows at every forward; the weights are fixed here.
  LayerContext ctx;
  ctx.compute = w_.compute_dtype();
  ctx.stash = &head_arena_;
  ctx.scratch = &scratch_;
  lm_head_c_ = head_.weight(ctx, w_.params(), w_.compute(), &head_weights_);
}

int64_t Decoder::max_positions() const { return positions_->max_positions(); }

void Decoder::check(std::span<const DecodeChunk> chunks, const KvCache& cache) const {
  ASCENT_CHECK(cache.num_layers() == cfg_.num_layers && cache.kv_heads() == KVH_ &&
               cache.head_size() == HS_)
      << "Decoder: cache of " << cache.num_layers() << " layers x " << cache.kv_heads()
      << " KV heads x " << cache.head_size() << " does not fit the model";
  ASCENT_CHECK(!chunks.empty()) << "Decoder::forward: no chunks";
  std::vector<bool> seen(static_cast<size_t>(cache.max_batch()), false);
  for (const DecodeChunk& c : chunks) {
    ASCENT_CHECK(c.slot >= 0 && c.slot < cache.max_batch() && !seen[static_cast<size_t>(c.slot)])
        << "Decoder::forward: slot " << c.slot << " out of range or repeated";
    ASCENT_CHECK(!c.tokens.empty()) << "Decoder::forward: empty chunk for slot " << c.slot;
    seen[static_cast<size_t>(c.slot)] = true;
    for (int32_t t : c.tokens) {
      if (t < 0 || t >= cfg_.vocab_size)
        throw error("[inference] token id ", t, " is outside the vocabulary [0, ", cfg_.vocab_size,
                    ")");
    }
    const int64_t end = cache.length(c.slot) + static_cast<int64_t>(c.tokens.size());
    if (end > max_positions())
      throw error("[inference] a sequence of ", end, " tokens exceeds max_position_embeddings ",
                  cfg_.max_position_embeddings);
    if (end > cache.max_T())
      throw error("[inference] a sequence of ", end, " tokens exceeds the KV cache length ",
                  cache.max_T());
  }
}

// The keys and values of the new rows into rows [past, past + n) of each sequence's slot.
void Decoder::write_cache(int64_t layer, const Step& s, const Tensor& qkv, KvCache& cache) const {
  const int64_t QKV = qkv.size(1);
  for (const SeqRows& r : s.seqs) {
    for (int64_t i = 0; i < r.n; ++i) {
      float* row = qkv.f32() + (r.row0 + i) * QKV;
      const int64_t at = (r.past + i) * HS_;
      for (int64_t g = 0; g < KVH_; ++g) {
        kernels::copy(Tensor(row + (NH_ + g) * HS_, DType::F32, {HS_}),
                      Tensor(cache.k(layer, r.slot, g) + at, DType::F32, {HS_}));
        kernels::copy(Tensor(row + (NH_ + KVH_ + g) * HS_, DType::F32, {HS_}),
                      Tensor(cache.v(layer, r.slot, g) + at, DType::F32, {HS_}));
      }
    }
  }
}

void Decoder::attention(int64_t layer, const Step& s, const Tensor& h, KvCache& cache,
                        const Tensor& x) {
  const BlockParams& pm = w_.params().blocks[layer];
  const BlockParams& pc = w_.compute().blocks[layer];
  const int64_t N = s.N, QKV = (NH_ + 2 * KVH_) * HS_;
  Tensor qkv = layer_.alloc(DType::F32, {N, QKV});  // [N, (NH+2KVH)*HS]
  qkv_.forward(s.ctx, h, pc.wqkv, pm.bqkv, qkv);
  positions_->rotate(qkv, NH_ + KVH_, s.positions.data());
  write_cache(layer, s, qkv, cache);

  Tensor out = layer_.alloc(DType::F32, {N, NH_ * HS_});  // [N, NH*HS]
  DecodeAttentionDims d;
  d.NH = NH_;
  d.scale = 1.0f / std::sqrt(static_cast<float>(HS_));
  d.alibi_slopes = positions_->alibi_slopes();
  decode_attention(d, qkv, cache, layer, s.seqs, out);
  out_.forward(s.ctx, DropoutSite::kAttentionOut, to_compute(s.ctx, out, layer_), pc.wo, pm.bo, x);
}

Tensor Decoder::head(const Step& s, const Tensor& x, LogitsFor which) {
  const int64_t C = cfg_.hidden_size;
  layer_.reset();
  // The final norm is per row, so only the rows whose logits are wanted go through it.
  Tensor hx = x;
  if (which == LogitsFor::Last) {
    const int64_t S = static_cast<int64_t>(s.seqs.size());
    hx = layer_.alloc(DType::F32, {S, C});
    for (int64_t i = 0; i < S; ++i) {
      const SeqRows& r = s.seqs[static_cast<size_t>(i)];
      kernels::copy(Tensor(x.f32() + (r.row0 + r.n - 1) * C, DType::F32, {C}),
                    Tensor(hx.f32() + i * C, DType::F32, {C}));
    }
  }
  LayerContext ctx = s.ctx;  // the rows kept
  ctx.T = hx.size(0);
  NormStash ns;
  Tensor h_c = head_.normed(ctx, hx, w_.params(), &ns);
  Tensor logits = arena_.alloc(DType::F32, {ctx.T, lm_head_c_.size(0)});  // [R, V]
  linear::forward(h_c, lm_head_c_, Tensor(), logits);
  return logits;
}

Tensor Decoder::forward(std::span<const DecodeChunk> chunks, KvCache& cache, LogitsFor which) {
  check(chunks, cache);
  Step s;
  for (const DecodeChunk& c : chunks) {
    SeqRows r;
    r.slot = c.slot;
    r.row0 = s.N;
    r.n = static_cast<int64_t>(c.tokens.size());
    r.past = cache.length(c.slot);
    for (int64_t i = 0; i < r.n; ++i) {
      s.tokens.push_back(c.tokens[static_cast<size_t>(i)]);
      s.positions.push_back(static_cast<int32_t>(r.past + i));
    }
    s.N += r.n;
    s.seqs.push_back(r);
  }
  s.ctx.B = 1;
  s.ctx.T = s.N;
  s.ctx.compute = w_.compute_dtype();
  s.ctx.positions = s.positions.data();
  s.ctx.stash = &layer_;
  s.ctx.scratch = &scratch_;

  const ModelParams& p = w_.params();
  const ModelParams& c = w_.compute();
  const int64_t N = s.N, C = cfg_.hidden_size;
  arena_.reset();
  LayerContext input = s.ctx;  // the residual stream lives for the whole call
  input.stash = &arena_;
  EmbeddingStash es;
  Tensor x = embedding_.forward(input, s.tokens.data(), p, &es);  // [N, C]
  for (int64_t l = 0; l < cfg_.num_layers; ++l) {
    const BlockParams& pm = p.blocks[l];
    NormStash ns;
    layer_.reset();
    scratch_.reset();
    Tensor h1 = layer_.alloc(DType::F32, {N, C});
    norm_.forward(x, pm.norm1_w, pm.norm1_b, h1, &ns, layer_);
    attention(l, s, h1, cache, x);

    layer_.reset();
    scratch_.reset();
    Tensor h2 = layer_.alloc(DType::F32, {N, C});
    norm_.forward(x, pm.norm2_w, pm.norm2_b, h2, &ns, layer_);
    MlpStash ms;
    mlp_.forward(s.ctx, h2, c.blocks[l], pm, x, &ms);
  }
  for (const SeqRows& r : s.seqs) cache.advance(r.slot, r.n);
  return head(s, x, which);
}

}  // namespace ascent::inference
