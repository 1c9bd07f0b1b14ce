#pragma once
// Tiny models of every HF family, shared by the checkpoint tests.
#include <string>

#include "model/config.h"

namespace ascent::testing {

inline ModelConfig family(const std::string& name) {
  ModelConfig c;
  c.name = name;
  c.vocab_size = 40;
  c.hidden_size = 32;
  c.ffn_hidden_size = 48;
  c.num_layers = 2;
  c.num_attention_heads = 4;
  c.num_query_groups = 4;
  c.max_position_embeddings = 16;
  c.norm_eps = 1e-5f;
  if (name == "llama_gqa") c.num_query_groups = 2;
  if (name == "llama_tied") c.tied_embeddings = true;
  if (name == "internlm") {
    c.hf_arch = HfArch::InternLM;
    c.qkv_bias = c.out_bias = true;
  }
  if (name.starts_with("baichuan")) c.hf_arch = HfArch::Baichuan;
  if (name == "baichuan13b") c.position = PositionType::Alibi;
  if (name == "baichuan2") c.lm_norm_weight = true;
  if (name.starts_with("bloom") || name.starts_with("gpt2")) {
    c.hf_arch = name.starts_with("bloom") ? HfArch::Bloom : HfArch::GPT2;
    c.position = name.starts_with("bloom") ? PositionType::Alibi : PositionType::Absolute;
    c.norm = NormType::LayerNorm;
    c.mlp = MlpType::GeLU;
    c.ffn_hidden_size = 4 * c.hidden_size;
    c.qkv_bias = c.out_bias = c.mlp_bias = true;
    c.tied_embeddings = true;
    c.embedding_norm = name.starts_with("bloom");
  }
  if (name == "gpt2_untied") {
    c.tied_embeddings = false;
    c.ffn_hidden_size = 64;
  }
  c.validate();
  return c;
}

}  // namespace ascent::testing
