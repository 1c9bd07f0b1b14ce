#include "model/config.h"

#include "core/error.h"
#include "model/params.h"

namespace ascent {

void ModelConfig::validate() const {
  auto positive = [](int64_t v, const char* flag) {
    if (v <= 0) throw error("[model] ", flag, " must be positive, got ", v);
  };
  positive(vocab_size, "--vocab-size");
  positive(hidden_size, "--hidden-size");
  positive(ffn_hidden_size, "--ffn-hidden-size");
  positive(num_layers, "--num-layers");
  positive(num_attention_heads, "--num-attention-heads");
  positive(num_query_groups, "--num-query-groups");
  positive(max_position_embeddings, "--max-position-embeddings");
  positive(make_vocab_size_divisible_by, "--make-vocab-size-divisible-by");
  if (hidden_size % num_attention_heads != 0)
    throw error("[model] --hidden-size ", hidden_size, " is not divisible by --num-attention-heads ",
                num_attention_heads);
  if (num_attention_heads % num_query_groups != 0)
    throw error("[model] --num-attention-heads ", num_attention_heads,
                " is not divisible by --num-query-groups ", num_query_groups);
  if (position == PositionType::Rope && head_size() % 2 != 0)
    throw error("[model] rotary embeddings need an even head size, got ", head_size());
  if (!(norm_eps > 0.f)) throw error("[model] --norm-epsilon must be positive");
  if (z_loss < 0.f) throw error("[model] --z-loss must be >= 0");
  if (!(attention_dropout >= 0.f && attention_dropout < 1.f))
    throw error("[model] --attention-dropout must be in [0, 1), got ", attention_dropout);
  if (!(hidden_dropout >= 0.f && hidden_dropout < 1.f))
    throw error("[model] --hidden-dropout must be in [0, 1), got ", hidden_dropout);
}

int64_t ModelConfig::num_params() const {
  int64_t n = 0;
  const ParamLayout layout(*this);
  for (const auto& s : layout.specs()) n += s.global_numel();  // vocabulary padding not counted
  return n;
}

int64_t ModelConfig::num_matmul_params() const {
  const int64_t C = hidden_size, HS = head_size();
  int64_t per_layer = qkv_rows() * C + C * num_attention_heads * HS + mlp_in_rows() * C +
                      C * ffn_hidden_size;
  return num_layers * per_layer + vocab_size * C;
}

double ModelConfig::flops_per_token(int64_t seq_length) const {
  return 6.0 * static_cast<double>(num_matmul_params()) +
         12.0 * static_cast<double>(num_layers) * static_cast<double>(seq_length) *
             static_cast<double>(hidden_size);
}

const char* position_type_name(PositionType p) {
  switch (p) {
    case PositionType::Rope: return "rope";
    case PositionType::Alibi: return "alibi";
    case PositionType::Absolute: return "absolute";
  }
  return "?";
}

const char* norm_type_name(NormType n) { return n == NormType::RMSNorm ? "RMSNorm" : "LayerNorm"; }

const char* mlp_type_name(MlpType m) { return m == MlpType::SwiGLU ? "swiglu" : "gelu"; }

const char* hf_arch_name(HfArch a) {
  switch (a) {
    case HfArch::Llama: return "LlamaForCausalLM";
    case HfArch::InternLM: return "InternLMForCausalLM";
    case HfArch::Baichuan: return "BaichuanForCausalLM";
    case HfArch::Bloom: return "BloomForCausalLM";
    case HfArch::GPT2: return "GPT2LMHeadModel";
  }
  return "?";
}

}  // namespace ascent
