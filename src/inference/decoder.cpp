#include "inference/decoder.h"

#include <cmath>
#include <cstring>
#include <limits>

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
      norm_(cfg_.norm, cfg_.norm_eps),
      emb_norm_(NormType::LayerNorm, cfg_.norm_eps),
      mlp_(cfg_),
      arena_(4u << 20),
      layer_(4u << 20),
      scratch_(1u << 20) {
  if (cfg_.position == PositionType::Rope)
    rope_table_ = kernels::rope_table(cfg_.max_position_embeddings, HS_, cfg_.rope_theta);
  if (cfg_.position == PositionType::Alibi) alibi_ = kernels::alibi_slopes(NH_);

  lm_head_c_ = w_.compute().lm_head;
  if (cfg_.lm_norm_weight) {
    // NormHead: training normalises the rows at every forward; the weights are fixed here.
    const int64_t V = cfg_.vocab_size, C = cfg_.hidden_size;
    lm_eff_ = Buffer(DType::F32, V * C);
    Buffer norms(DType::F32, V);
    Tensor eff(lm_eff_.data(), DType::F32, {V, C});
    kernels::l2norm_rows_forward(w_.params().lm_head, eff, norms.as(DType::F32));
    lm_head_c_ = eff;
    if (w_.compute_dtype() != DType::F32) {
      lm_eff_c_ = Buffer(w_.compute_dtype(), V * C);
      lm_head_c_ = Tensor(lm_eff_c_.data(), w_.compute_dtype(), {V, C});
      kernels::cast(eff, lm_head_c_);
    }
  }
}

int64_t Decoder::max_positions() const {
  if (cfg_.position == PositionType::Alibi) return std::numeric_limits<int64_t>::max();
  return cfg_.max_position_embeddings;
}

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
        throw error("[inference] token id ", t, " is outside the vocabulary [0, ",
                    cfg_.vocab_size, ")");
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

Tensor Decoder::embed(const Step& s) {
  const ModelParams& p = w_.params();
  const int64_t N = s.N, C = cfg_.hidden_size;
  Tensor x = arena_.alloc(DType::F32, {N, C});  // [N, C] residual stream
  layer_.reset();
  if (cfg_.embedding_norm) {
    Tensor e = layer_.alloc(DType::F32, {N, C});
    kernels::embedding_forward(s.tokens.data(), p.wte, e);
    NormStash ns;
    emb_norm_.forward(e, p.emb_norm_w, p.emb_norm_b, x, &ns, layer_);
  } else {
    kernels::embedding_forward(s.tokens.data(), p.wte, x);
  }
  if (cfg_.position == PositionType::Absolute) {
    Tensor pos = layer_.alloc(DType::F32, {N, C});
    kernels::embedding_forward(s.positions.data(), p.wpe, pos);
    kernels::add_inplace(x, pos);
  }
  return x;
}

// x (+=) o_proj(attention over the cache(qkv_proj(h_c))); appends this layer's K/V to the cache.
void Decoder::attention(int64_t layer, const Step& s, const Tensor& h_c, KvCache& cache,
                        const Tensor& x) {
  const BlockParams& pm = w_.params().blocks[layer];
  const BlockParams& pc = w_.compute().blocks[layer];
  const int64_t N = s.N, QKV = (NH_ + 2 * KVH_) * HS_;
  Tensor qkv = layer_.alloc(DType::F32, {N, QKV});  // [N, (NH+2KVH)*HS]
  linear::forward(h_c, pc.wqkv, pm.bqkv, qkv);
  if (!rope_table_.cos.empty())
    kernels::rope_apply(qkv, NH_ + KVH_, s.positions.data(), rope_table_, false);

  const float* q = qkv.f32();
  const size_t row_bytes = static_cast<size_t>(HS_) * sizeof(float);
  for (const SeqRows& r : s.seqs) {
    for (int64_t i = 0; i < r.n; ++i) {
      const float* src = q + (r.row0 + i) * QKV;
      for (int64_t g = 0; g < KVH_; ++g) {
        std::memcpy(cache.k(layer, r.slot, g) + (r.past + i) * HS_, src + (NH_ + g) * HS_,
                    row_bytes);
        std::memcpy(cache.v(layer, r.slot, g) + (r.past + i) * HS_,
                    src + (NH_ + KVH_ + g) * HS_, row_bytes);
      }
    }
  }

  Tensor out = layer_.alloc(DType::F32, {N, NH_ * HS_});  // [N, NH*HS]
  DecodeAttentionDims d;
  d.NH = NH_;
  d.scale = 1.0f / std::sqrt(static_cast<float>(HS_));
  d.alibi_slopes = alibi_.empty() ? nullptr : alibi_.data();
  decode_attention(d, qkv, cache, layer, s.seqs, out);
  Tensor out_c = to_compute(s.ctx, out, layer_);
  linear::forward(out_c, pc.wo, pm.bo, x, /*accumulate=*/true);
}

Tensor Decoder::head(const Step& s, const Tensor& x, LogitsFor which) {
  const ModelParams& p = w_.params();
  const int64_t C = cfg_.hidden_size, V = cfg_.vocab_size;
  layer_.reset();
  // The final norm is per row, so only the rows whose logits are wanted go through it.
  Tensor hx = x;
  if (which == LogitsFor::Last) {
    const int64_t S = static_cast<int64_t>(s.seqs.size());
    hx = layer_.alloc(DType::F32, {S, C});
    for (int64_t i = 0; i < S; ++i) {
      const SeqRows& r = s.seqs[static_cast<size_t>(i)];
      std::memcpy(hx.f32() + i * C, x.f32() + (r.row0 + r.n - 1) * C,
                  static_cast<size_t>(C) * sizeof(float));
    }
  }
  const int64_t R = hx.size(0);
  Tensor h = layer_.alloc(DType::F32, {R, C});
  NormStash ns;
  norm_.forward(hx, p.final_norm_w, p.final_norm_b, h, &ns, layer_);
  Tensor logits = arena_.alloc(DType::F32, {R, V});  // [R, V]
  linear::forward(to_compute(s.ctx, h, layer_), lm_head_c_, Tensor(), logits);
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
  Tensor x = embed(s);  // [N, C]
  for (int64_t l = 0; l < cfg_.num_layers; ++l) {
    const BlockParams& pm = p.blocks[l];
    NormStash ns;
    layer_.reset();
    Tensor h1 = layer_.alloc(DType::F32, {N, C});
    norm_.forward(x, pm.norm1_w, pm.norm1_b, h1, &ns, layer_);
    attention(l, s, to_compute(s.ctx, h1, layer_), cache, x);

    layer_.reset();
    scratch_.reset();
    Tensor h2 = layer_.alloc(DType::F32, {N, C});
    norm_.forward(x, pm.norm2_w, pm.norm2_b, h2, &ns, layer_);
    MlpStash ms;
    mlp_.forward(s.ctx, to_compute(s.ctx, h2, layer_), c.blocks[l], pm, x, &ms);
    scratch_.reset();
  }
  for (const SeqRows& r : s.seqs) cache.advance(r.slot, r.n);
  return head(s, x, which);
}

}  // namespace ascent::inference
