#pragma once
// ModelConfig: the architecture of one decoder (DESIGN.md section 4), plus named presets.
#include <cstdint>
#include <string>
#include <vector>

namespace ascent {

enum class PositionType { Rope, Alibi, Absolute };
enum class NormType { RMSNorm, LayerNorm };
enum class MlpType { SwiGLU, GeLU };  // GeLU = tanh approximation (GPT-2 / Bloom)

// Which HF model class a checkpoint of this model is written as.
enum class HfArch { Llama, InternLM, Baichuan, Bloom, GPT2 };

struct ModelConfig {
  std::string name = "custom";
  HfArch hf_arch = HfArch::Llama;

  int64_t vocab_size = 32000;
  int64_t hidden_size = 4096;        // C
  int64_t ffn_hidden_size = 11008;   // F
  int64_t num_layers = 32;           // L
  int64_t num_attention_heads = 32;  // NH
  int64_t num_query_groups = 32;     // KVH (== NH without GQA)
  int64_t max_position_embeddings = 2048;

  PositionType position = PositionType::Rope;
  float rope_theta = 10000.f;
  NormType norm = NormType::RMSNorm;
  float norm_eps = 1e-6f;
  MlpType mlp = MlpType::SwiGLU;

  bool qkv_bias = false;  // biases on q/k/v (InternLM, Bloom, GPT-2)
  bool out_bias = false;  // bias on the attention output projection
  bool mlp_bias = false;  // biases on the MLP projections (Bloom, GPT-2)
  bool tied_embeddings = false;
  bool embedding_norm = false;  // LayerNorm right after the embedding (Bloom)
  bool lm_norm_weight = false;  // NormHead: rows of the LM head L2-normalised (Baichuan2)
  float z_loss = 0.f;           // coefficient of lse^2 added to the loss (0 = off)
  // Training-only dropout probabilities, in [0, 1) (0 = off: no RNG work at all).
  float attention_dropout = 0.f;  // on the attention probabilities, inside the kernel
  float hidden_dropout = 0.f;     // on the attention and MLP outputs, before the residual add
  float init_method_std = 0.02f;
  // --make-vocab-size-divisible-by: the embedding and LM head get rows up to a multiple of this
  // times the TP size, so the vocabulary splits evenly across TP ranks (and matmul sizes stay
  // round). Padded rows are not part of the model: zero, their logits masked, never trained, and
  // dropped from checkpoints and HF exports, so numerics never depend on this value. Megatron
  // defaults to 128; we default to 1 so a single-process layout stays HF-identical.
  int64_t make_vocab_size_divisible_by = 1;

  int64_t head_size() const { return hidden_size / num_attention_heads; }  // HS
  // Rows of the fused q/k/v projection: (NH + 2*KVH) * HS.
  int64_t qkv_rows() const { return (num_attention_heads + 2 * num_query_groups) * head_size(); }
  // Rows of the fused MLP input projection: 2F for SwiGLU (gate then up), F for GeLU.
  int64_t mlp_in_rows() const {
    return mlp == MlpType::SwiGLU ? 2 * ffn_hidden_size : ffn_hidden_size;
  }
  // Rows of the embedding and LM head across tp ranks: vocab_size rounded up to a multiple of
  // make_vocab_size_divisible_by * tp (Megatron's _vocab_size_with_padding).
  int64_t padded_vocab_size(int64_t tp = 1) const {
    const int64_t m = make_vocab_size_divisible_by * tp;
    return (vocab_size + m - 1) / m * m;
  }

  // Throws ascent::Error naming the offending flag (--hidden-size, ...).
  void validate() const;
  // Throws naming the flag when a size is beyond what the int64 size arithmetic and any real
  // machine allow (checked by validate()).
  void check_size_limits() const;
  // Total number of parameters (embeddings included, tied weights counted once).
  int64_t num_params() const;
  // Parameters that take part in matmuls (incl. the LM head), for FLOP counts.
  int64_t num_matmul_params() const;
  // Model FLOPs per token of one training step (forward + backward) at sequence length T:
  // 6 * matmul params + 12 * L * T * C (attention). DESIGN.md section 8.
  double flops_per_token(int64_t seq_length) const;
};

// Named presets ("llama2-7b", "bloom-7b1", "tiny-llama", ...). Throws on an unknown name,
// listing the known ones.
ModelConfig model_preset(const std::string& name);
std::vector<std::string> model_preset_names();

const char* position_type_name(PositionType p);
const char* norm_type_name(NormType n);
const char* mlp_type_name(MlpType m);
const char* hf_arch_name(HfArch a);  // "LlamaForCausalLM", "BloomForCausalLM", ...

}  // namespace ascent
