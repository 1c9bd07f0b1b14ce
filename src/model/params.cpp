#include "model/params.h"

#include <algorithm>

namespace ascent {

int64_t ParamSpec::global_numel() const {
  int64_t n = 1;
  for (int64_t d : global_shape) n *= d;
  return n;
}

int64_t ParamSpec::valid_extent() const {
  if (split_dim < 0) return shape.empty() ? 1 : shape[0];
  const int64_t end = std::min(split_offset + shape[split_dim], global_shape[split_dim]);
  return std::max<int64_t>(end - split_offset, 0);
}

bool ParamSpec::is_whole() const {
  return split_dim < 0 || (split_offset == 0 && valid_extent() == global_shape[split_dim]);
}

// One tensor of the unsharded model, in the order of the unsharded layout.
struct ParamLayout::Global {
  std::string name;
  std::vector<int64_t> shape;  // global
  int split_dim = -1;
  int64_t split_extent = 0;  // extent cut into tp pieces (the padded vocabulary for embeddings)
  int64_t layer = -1;
  bool decay = true;
  bool pad = true;  // false inside a fused group (q/k/v, gate/up), whose members stay adjacent
};

void ParamLayout::add(const Global& g, int64_t global_index) {
  ParamSpec s;
  s.name = g.name;
  s.global_shape = g.shape;
  s.shape = g.shape;
  s.split_dim = g.split_dim;
  if (g.split_dim >= 0) {
    const int64_t local = g.split_extent / shard_.tp_size;
    s.shape[g.split_dim] = local;
    s.split_offset = local * shard_.tp_rank;
  }
  s.layer = g.layer;
  s.global_index = global_index;
  s.numel = 1;
  for (int64_t d : s.shape) s.numel *= d;
  s.offset = total_;
  s.weight_decay = g.decay;
  // Keep tensors 64-byte aligned in f32 and bf16 buffers (32 elements), except inside a fused
  // group, whose members must be adjacent so one view spans them.
  total_ += g.pad ? (s.numel + 31) / 32 * 32 : s.numel;
  index_[s.name] = specs_.size();
  specs_.push_back(std::move(s));
}

namespace {

// Every tensor of the unsharded model, in layout order (the order keys the init RNG streams, so
// it must not change).
template <typename Global>
std::vector<Global> global_tensors(const ModelConfig& cfg, int64_t tp) {
  const int64_t C = cfg.hidden_size, F = cfg.ffn_hidden_size, V = cfg.vocab_size;
  const int64_t Vp = cfg.padded_vocab_size(tp);
  const int64_t HS = cfg.head_size(), NH = cfg.num_attention_heads, KVH = cfg.num_query_groups;
  const bool ln = cfg.norm == NormType::LayerNorm, swiglu = cfg.mlp == MlpType::SwiGLU;
  std::vector<Global> out;
  int64_t layer = -1;
  // split: -1 replicated, 0 rows, 1 columns; extent defaults to the global size of that dim.
  auto add = [&](const std::string& name, std::vector<int64_t> shape, int split, bool decay,
                 bool pad = true, int64_t extent = 0) {
    const int64_t ext = split < 0 ? 0 : (extent ? extent : shape[split]);
    out.push_back({name, std::move(shape), split, ext, layer, decay, pad});
  };
  auto norm = [&](const std::string& prefix) {
    add(prefix + ".weight", {C}, -1, false);
    if (ln) add(prefix + ".bias", {C}, -1, false);
  };

  add("model.embed_tokens.weight", {V, C}, 0, true, true, Vp);
  if (cfg.position == PositionType::Absolute)
    add("model.embed_positions.weight", {cfg.max_position_embeddings, C}, -1, true);
  if (cfg.embedding_norm) {
    add("model.embed_layernorm.weight", {C}, -1, false);
    add("model.embed_layernorm.bias", {C}, -1, false);
  }
  for (layer = 0; layer < cfg.num_layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    norm(p + "input_layernorm");
    add(p + "self_attn.q_proj.weight", {NH * HS, C}, 0, true, /*pad=*/false);
    add(p + "self_attn.k_proj.weight", {KVH * HS, C}, 0, true, /*pad=*/false);
    add(p + "self_attn.v_proj.weight", {KVH * HS, C}, 0, true);
    if (cfg.qkv_bias) {
      add(p + "self_attn.q_proj.bias", {NH * HS}, 0, false, /*pad=*/false);
      add(p + "self_attn.k_proj.bias", {KVH * HS}, 0, false, /*pad=*/false);
      add(p + "self_attn.v_proj.bias", {KVH * HS}, 0, false);
    }
    add(p + "self_attn.o_proj.weight", {C, NH * HS}, 1, true);
    if (cfg.out_bias) add(p + "self_attn.o_proj.bias", {C}, -1, false);
    norm(p + "post_attention_layernorm");
    if (swiglu) add(p + "mlp.gate_proj.weight", {F, C}, 0, true, /*pad=*/false);
    add(p + "mlp.up_proj.weight", {F, C}, 0, true);
    if (cfg.mlp_bias) {
      if (swiglu) add(p + "mlp.gate_proj.bias", {F}, 0, false, /*pad=*/false);
      add(p + "mlp.up_proj.bias", {F}, 0, false);
    }
    add(p + "mlp.down_proj.weight", {C, F}, 1, true);
    if (cfg.mlp_bias) add(p + "mlp.down_proj.bias", {C}, -1, false);
  }
  layer = -1;
  norm("model.norm");
  if (!cfg.tied_embeddings) add("lm_head.weight", {V, C}, 0, true, true, Vp);
  return out;
}

bool in_ranges(const std::vector<LayerRange>& ranges, int64_t layer) {
  for (const LayerRange& r : ranges)
    if (layer >= r.first && layer < r.last) return true;
  return false;
}

}  // namespace

ParamLayout::ParamLayout(const ModelConfig& cfg, const ShardSpec& shard) : shard_(shard) {
  shard_.validate(cfg);
  shard_.layers = shard_.resolved_layers(cfg);
  for (const LayerRange& r : shard_.layers)
    for (int64_t i = r.first; i < r.last; ++i) layers_.push_back(i);
  vocab_rows_ = cfg.padded_vocab_size(shard_.tp_size) / shard_.tp_size;
  vocab_start_ = vocab_rows_ * shard_.tp_rank;

  const std::vector<Global> all = global_tensors<Global>(cfg, shard_.tp_size);
  const bool tied_copy = shard_.has_head && cfg.tied_embeddings && !shard_.has_embedding;
  for (size_t i = 0; i < all.size(); ++i) {
    const Global& g = all[i];
    bool held;
    if (g.layer >= 0) {
      held = in_ranges(shard_.layers, g.layer);
    } else if (g.name.starts_with("model.embed_")) {
      held = shard_.has_embedding;
    } else {
      held = shard_.has_head;  // model.norm.*, lm_head.weight
    }
    if (held) add(g, static_cast<int64_t>(i));
  }
  // The last stage's copy of a tied embedding serves as its LM head: it sits where lm_head would.
  if (tied_copy) add(all[0], 0);
}

const ParamSpec* ParamLayout::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

Tensor ParamLayout::view(void* base, DType dtype, const std::string& name) const {
  const ParamSpec* s = find(name);
  if (!s) return Tensor();
  void* p = static_cast<char*>(base) + static_cast<size_t>(s->offset) * dtype_size(dtype);
  return Tensor(p, dtype, s->shape.data(), static_cast<int>(s->shape.size()));
}

namespace {

// A view from the first row of `first` spanning the rows of `first` and the tensors after it in
// the fused group (adjacent in the layout).
Tensor span_rows(const Tensor& first, std::initializer_list<Tensor> rest) {
  if (!first.defined()) return Tensor();
  int64_t rows = first.size(0);
  for (const Tensor& t : rest) rows += t.size(0);
  if (first.ndim() == 1) return Tensor(first.data(), first.dtype(), {rows});
  return Tensor(first.data(), first.dtype(), {rows, first.size(1)});
}

}  // namespace

ModelParams bind_params(const ModelConfig& cfg, const ParamLayout& layout, void* base,
                        DType dtype) {
  auto v = [&](const std::string& n) { return layout.view(base, dtype, n); };
  const ShardSpec& shard = layout.shard();
  ModelParams m;
  if (shard.has_embedding) {
    m.wte = v("model.embed_tokens.weight");
    m.wpe = v("model.embed_positions.weight");
    m.emb_norm_w = v("model.embed_layernorm.weight");
    m.emb_norm_b = v("model.embed_layernorm.bias");
  }
  const bool swiglu = cfg.mlp == MlpType::SwiGLU;
  for (int64_t i : layout.layers()) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    BlockParams b;
    b.layer = i;
    b.norm1_w = v(p + "input_layernorm.weight");
    b.norm1_b = v(p + "input_layernorm.bias");
    const std::string a = p + "self_attn.";
    b.wqkv = span_rows(v(a + "q_proj.weight"), {v(a + "k_proj.weight"), v(a + "v_proj.weight")});
    if (cfg.qkv_bias)
      b.bqkv = span_rows(v(a + "q_proj.bias"), {v(a + "k_proj.bias"), v(a + "v_proj.bias")});
    b.wo = v(a + "o_proj.weight");
    b.bo = v(a + "o_proj.bias");
    b.norm2_w = v(p + "post_attention_layernorm.weight");
    b.norm2_b = v(p + "post_attention_layernorm.bias");
    const std::string f = p + "mlp.";
    if (swiglu) {
      b.w_in = span_rows(v(f + "gate_proj.weight"), {v(f + "up_proj.weight")});
      if (cfg.mlp_bias) b.b_in = span_rows(v(f + "gate_proj.bias"), {v(f + "up_proj.bias")});
    } else {
      b.w_in = v(f + "up_proj.weight");
      b.b_in = v(f + "up_proj.bias");
    }
    b.w_out = v(f + "down_proj.weight");
    b.b_out = v(f + "down_proj.bias");
    m.blocks.push_back(b);
  }
  if (shard.has_head) {
    m.final_norm_w = v("model.norm.weight");
    m.final_norm_b = v("model.norm.bias");
    m.lm_head = cfg.tied_embeddings ? v("model.embed_tokens.weight") : v("lm_head.weight");
  }
  return m;
}

}  // namespace ascent
