#include "model/config.h"

#include <cmath>

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
    throw error("[model] --hidden-size ", hidden_size,
                " is not divisible by --num-attention-heads ", num_attention_heads);
  if (num_attention_heads % num_query_groups != 0)
    throw error("[model] --num-attention-heads ", num_attention_heads,
                " is not divisible by --num-query-groups ", num_query_groups);
  if (position == PositionType::Rope && head_size() % 2 != 0)
    throw error("[model] rotary embeddings need an even head size, got ", head_size());
  if (!(norm_eps > 0.f)) throw error("[model] --norm-epsilon must be positive");
  if (!(norm_eps < 1.f)) throw error("[model] --norm-epsilon must be below 1, got ", norm_eps);
  if (position == PositionType::Rope && !(rope_theta > 0.f && std::isfinite(rope_theta)))
    throw error("[model] rope_theta must be a positive number, got ", rope_theta);
  check_size_limits();
  if (z_loss < 0.f) throw error("[model] --z-loss must be >= 0");
  if (!(attention_dropout >= 0.f && attention_dropout < 1.f))
    throw error("[model] --attention-dropout must be in [0, 1), got ", attention_dropout);
  if (!(hidden_dropout >= 0.f && hidden_dropout < 1.f))
    throw error("[model] --hidden-dropout must be in [0, 1), got ", hidden_dropout);
}

// Bounds far above any real model that keep every size product inside int64 and refuse absurd
// shapes before anything is allocated (a hostile config.json, a mistyped --num-layers).
void ModelConfig::check_size_limits() const {
  constexpr int64_t kMaxWidth = int64_t{1} << 24, kMaxLayers = 100000;
  auto at_most = [](int64_t v, int64_t limit, const char* flag) {
    if (v > limit)
      throw error("[model] ", flag, " ", v, " is beyond what ascent supports (at most ", limit,
                  ")");
  };
  at_most(hidden_size, kMaxWidth, "--hidden-size");
  at_most(ffn_hidden_size, kMaxWidth, "--ffn-hidden-size");
  at_most(vocab_size, kMaxWidth, "--vocab-size");
  at_most(max_position_embeddings, kMaxWidth, "--max-position-embeddings");
  at_most(num_attention_heads, hidden_size, "--num-attention-heads");
  at_most(num_layers, kMaxLayers, "--num-layers");
  // 2^44 parameters (17.6 trillion) is above every model the presets describe by far.
  const double params = static_cast<double>(num_layers) * 4.0 * static_cast<double>(hidden_size) *
                            static_cast<double>(hidden_size + ffn_hidden_size) +
                        2.0 * static_cast<double>(vocab_size) * static_cast<double>(hidden_size);
  if (params > 17592186044416.0)
    throw error("[model] about ", params, " parameters (--num-layers ", num_layers,
                ", --hidden-size ", hidden_size, ", --ffn-hidden-size ", ffn_hidden_size,
                ") is beyond what ascent supports (2^44)");
}

int64_t ModelConfig::num_params() const {
  int64_t n = 0;
  const ParamLayout layout(*this);
  for (const auto& s : layout.specs()) n += s.global_numel();  // vocabulary padding not counted
  return n;
}

int64_t ModelConfig::num_matmul_params() const {
  const int64_t C = hidden_size, HS = head_size();
  int64_t per_layer =
      qkv_rows() * C + C * num_attention_heads * HS + mlp_in_rows() * C + C * ffn_hidden_size;
  return num_layers * per_layer + vocab_size * C;
}

double ModelConfig::flops_per_token(int64_t seq_length) const {
  return 6.0 * static_cast<double>(num_matmul_params()) + 12.0 * static_cast<double>(num_layers) *
                                                              static_cast<double>(seq_length) *
                                                              static_cast<double>(hidden_size);
}

const char* position_type_name(PositionType p) {
  switch (p) {
    case PositionType::Rope:
      return "rope";
    case PositionType::Alibi:
      return "alibi";
    case PositionType::Absolute:
      return "absolute";
  }
  return "?";
}

const char* norm_type_name(NormType n) { return n == NormType::RMSNorm ? "RMSNorm" : "LayerNorm"; }

const char* mlp_type_name(MlpType m) { return m == MlpType::SwiGLU ? "swiglu" : "gelu"; }

const char* hf_arch_name(HfArch a) {
  switch (a) {
    case HfArch::Llama:
      return "LlamaForCausalLM";
    case HfArch::InternLM:
      return "InternLMForCausalLM";
    case HfArch::Baichuan:
      return "BaichuanForCausalLM";
    case HfArch::Bloom:
      return "BloomForCausalLM";
    case HfArch::GPT2:
      return "GPT2LMHeadModel";
  }
  return "?";
}

}  // namespace ascent
