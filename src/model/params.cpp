#include "model/params.h"

namespace ascent {

void ParamLayout::add(const std::string& name, std::vector<int64_t> shape, bool decay, bool pad) {
  ParamSpec s;
  s.name = name;
  s.shape = std::move(shape);
  s.numel = 1;
  for (int64_t d : s.shape) s.numel *= d;
  s.offset = total_;
  s.weight_decay = decay;
  // Keep tensors 64-byte aligned in f32 and bf16 buffers (32 elements), except inside a fused
  // group (q/k/v, gate/up), whose members must be adjacent so one view spans them.
  total_ += pad ? (s.numel + 31) / 32 * 32 : s.numel;
  specs_.push_back(std::move(s));
}

ParamLayout::ParamLayout(const ModelConfig& cfg) {
  const int64_t C = cfg.hidden_size, F = cfg.ffn_hidden_size, V = cfg.vocab_size;
  const int64_t HS = cfg.head_size(), NH = cfg.num_attention_heads, KVH = cfg.num_query_groups;
  const bool ln = cfg.norm == NormType::LayerNorm;
  auto norm = [&](const std::string& prefix) {
    add(prefix + ".weight", {C}, false);
    if (ln) add(prefix + ".bias", {C}, false);
  };

  add("model.embed_tokens.weight", {V, C}, true);
  if (cfg.position == PositionType::Absolute)
    add("model.embed_positions.weight", {cfg.max_position_embeddings, C}, true);
  if (cfg.embedding_norm) {
    add("model.embed_layernorm.weight", {C}, false);
    add("model.embed_layernorm.bias", {C}, false);
  }
  for (int64_t i = 0; i < cfg.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    norm(p + "input_layernorm");
    add(p + "self_attn.q_proj.weight", {NH * HS, C}, true, /*pad=*/false);
    add(p + "self_attn.k_proj.weight", {KVH * HS, C}, true, /*pad=*/false);
    add(p + "self_attn.v_proj.weight", {KVH * HS, C}, true);
    if (cfg.qkv_bias) {
      add(p + "self_attn.q_proj.bias", {NH * HS}, false, /*pad=*/false);
      add(p + "self_attn.k_proj.bias", {KVH * HS}, false, /*pad=*/false);
      add(p + "self_attn.v_proj.bias", {KVH * HS}, false);
    }
    add(p + "self_attn.o_proj.weight", {C, NH * HS}, true);
    if (cfg.out_bias) add(p + "self_attn.o_proj.bias", {C}, false);
    norm(p + "post_attention_layernorm");
    if (cfg.mlp == MlpType::SwiGLU) add(p + "mlp.gate_proj.weight", {F, C}, true, /*pad=*/false);
    add(p + "mlp.up_proj.weight", {F, C}, true);
    if (cfg.mlp_bias) {
      if (cfg.mlp == MlpType::SwiGLU) add(p + "mlp.gate_proj.bias", {F}, false, /*pad=*/false);
      add(p + "mlp.up_proj.bias", {F}, false);
    }
    add(p + "mlp.down_proj.weight", {C, F}, true);
    if (cfg.mlp_bias) add(p + "mlp.down_proj.bias", {C}, false);
  }
  norm("model.norm");
  if (!cfg.tied_embeddings) add("lm_head.weight", {V, C}, true);
}

const ParamSpec* ParamLayout::find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

Tensor ParamLayout::view(void* base, DType dtype, const std::string& name) const {
  const ParamSpec* s = find(name);
  if (!s) return Tensor();
  void* p = static_cast<char*>(base) + static_cast<size_t>(s->offset) * dtype_size(dtype);
  return Tensor(p, dtype, s->shape.data(), static_cast<int>(s->shape.size()));
}

namespace {

// A view from the first row of `first` spanning `rows` rows (adjacent tensors in the layout).
Tensor span_rows(const Tensor& first, int64_t rows) {
  if (!first.defined()) return Tensor();
  if (first.ndim() == 1) return Tensor(first.data(), first.dtype(), {rows});
  return Tensor(first.data(), first.dtype(), {rows, first.size(1)});
}

}  // namespace

ModelParams bind_params(const ModelConfig& cfg, const ParamLayout& layout, void* base,
                        DType dtype) {
  auto v = [&](const std::string& n) { return layout.view(base, dtype, n); };
  ModelParams m;
  m.wte = v("model.embed_tokens.weight");
  m.wpe = v("model.embed_positions.weight");
  m.emb_norm_w = v("model.embed_layernorm.weight");
  m.emb_norm_b = v("model.embed_layernorm.bias");
  const bool swiglu = cfg.mlp == MlpType::SwiGLU;
  for (int64_t i = 0; i < cfg.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    BlockParams b;
    b.norm1_w = v(p + "input_layernorm.weight");
    b.norm1_b = v(p + "input_layernorm.bias");
    b.wqkv = span_rows(v(p + "self_attn.q_proj.weight"), cfg.qkv_rows());
    b.bqkv = span_rows(v(p + "self_attn.q_proj.bias"), cfg.qkv_rows());
    b.wo = v(p + "self_attn.o_proj.weight");
    b.bo = v(p + "self_attn.o_proj.bias");
    b.norm2_w = v(p + "post_attention_layernorm.weight");
    b.norm2_b = v(p + "post_attention_layernorm.bias");
    const std::string in = swiglu ? "mlp.gate_proj" : "mlp.up_proj";
    b.w_in = span_rows(v(p + in + ".weight"), cfg.mlp_in_rows());
    b.b_in = span_rows(v(p + in + ".bias"), cfg.mlp_in_rows());
    b.w_out = v(p + "mlp.down_proj.weight");
    b.b_out = v(p + "mlp.down_proj.bias");
    m.blocks.push_back(b);
  }
  m.final_norm_w = v("model.norm.weight");
  m.final_norm_b = v("model.norm.bias");
  m.lm_head = cfg.tied_embeddings ? m.wte : v("lm_head.weight");
  return m;
}

}  // namespace ascent
