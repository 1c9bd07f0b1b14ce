#pragma once
// HF `config.json` <-> ModelConfig for the families we import and export (DESIGN.md section 4):
//
//   LlamaForCausalLM      llama keys; num_key_value_heads (GQA), rope_theta, attention_bias,
//                         mlp_bias, tie_word_embeddings. AquilaForCausalLM reads as LLaMA (same
//                         layout) and is written back as LlamaForCausalLM.
//   InternLMForCausalLM   llama keys + "bias" (q/k/v and o biases; default true), RoPE base from
//                         "rotary": {"base"} or rope_theta
//   Baichuan(Baichuan)ForCausalLM  llama keys without GQA; max_position_embeddings or
//                         model_max_length. RoPE vs ALiBi and NormHead are not in real configs: our
//                         explicit keys "position_embedding_type" ("rope"|"alibi") and
//                         "lm_norm_weight" (bool) win, else ALiBi iff num_hidden_layers == 40 (the
//                         13B models) and NormHead iff vocab_size == 125696 (Baichuan2).
//   BloomForCausalLM      hidden_size|n_embed, n_layer, n_head, layer_norm_epsilon, seq_length
//                         (optional, default 2048); LayerNorm, tanh GeLU, ALiBi, all biases, tied,
//                         embedding LayerNorm, F = 4C
//   GPT2LMHeadModel       n_embd, n_layer, n_head, n_positions, n_inner (null -> 4C),
//                         layer_norm_epsilon, activation_function (gelu_new); learned positions,
//                         LayerNorm, tanh GeLU, all biases, tied
//
// Optional keys take HF's defaults; keys whose value we cannot honour (rope_scaling, a GeLU other
// than the tanh approximation, post-LayerNorm residuals, ...) are errors rather than silently
// ignored. All errors are ascent::Error "[hf] <dir>/config.json: ..." naming the field.
#include <string>

#include "core/dtype.h"
#include "model/config.h"

namespace ascent {

// Reads dir/config.json (dir may also be the path of the file itself). The result is validated
// and has hf_arch set; name is the directory's name.
ModelConfig read_hf_config(const std::string& dir);

// Writes dir/config.json (creating dir) with the real HF keys of cfg.hf_arch, plus
// "position_embedding_type" and "lm_norm_weight" for Baichuan, and "torch_dtype" from dtype.
// Throws when cfg cannot be expressed as that architecture (see check_hf_arch).
void write_hf_config(const std::string& dir, const ModelConfig& cfg, DType dtype);

// Throws ascent::Error "[hf] <what>: ..." when cfg cannot be written as cfg.hf_arch (a Bloom
// without ALiBi, a LLaMA with LayerNorm, ...).
void check_hf_arch(const ModelConfig& cfg, const std::string& what);

}  // namespace ascent
