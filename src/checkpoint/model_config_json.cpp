#include "checkpoint/model_config_json.h"

#include "core/error.h"

namespace ascent {
namespace {

template <typename E>
E parse_enum(const std::string& s, std::initializer_list<std::pair<const char*, E>> table,
             const std::string& what, const char* field) {
  for (const auto& [name, v] : table)
    if (s == name) return v;
  throw error("[checkpoint] ", what, ": field '", field, "' has unknown value '", s, "'");
}

}  // namespace

nlohmann::json model_config_to_json(const ModelConfig& c) {
  return {
      {"name", c.name},
      {"hf_arch", hf_arch_name(c.hf_arch)},
      {"vocab_size", c.vocab_size},
      {"hidden_size", c.hidden_size},
      {"ffn_hidden_size", c.ffn_hidden_size},
      {"num_layers", c.num_layers},
      {"num_attention_heads", c.num_attention_heads},
      {"num_query_groups", c.num_query_groups},
      {"max_position_embeddings", c.max_position_embeddings},
      {"position_embedding_type", position_type_name(c.position)},
      {"rope_theta", c.rope_theta},
      {"normalization", norm_type_name(c.norm)},
      {"norm_epsilon", c.norm_eps},
      {"mlp", mlp_type_name(c.mlp)},
      {"qkv_bias", c.qkv_bias},
      {"out_bias", c.out_bias},
      {"mlp_bias", c.mlp_bias},
      {"tied_embeddings", c.tied_embeddings},
      {"embedding_norm", c.embedding_norm},
      {"lm_norm_weight", c.lm_norm_weight},
      {"z_loss", c.z_loss},
      {"init_method_std", c.init_method_std},
      {"attention_dropout", c.attention_dropout},
      {"hidden_dropout", c.hidden_dropout},
      {"make_vocab_size_divisible_by", c.make_vocab_size_divisible_by},
  };
}

ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& what) {
  auto get = [&](const char* field) -> const nlohmann::json& {
    if (!j.contains(field)) throw error("[checkpoint] ", what, ": missing field '", field, "'");
    return j.at(field);
  };
  ModelConfig c;
  try {
    c.name = get("name").get<std::string>();
    c.hf_arch = parse_enum<HfArch>(get("hf_arch").get<std::string>(),
                                   {{"LlamaForCausalLM", HfArch::Llama},
                                    {"InternLMForCausalLM", HfArch::InternLM},
                                    {"BaichuanForCausalLM", HfArch::Baichuan},
                                    {"BloomForCausalLM", HfArch::Bloom},
                                    {"GPT2LMHeadModel", HfArch::GPT2}},
                                   what, "hf_arch");
    c.vocab_size = get("vocab_size").get<int64_t>();
    c.hidden_size = get("hidden_size").get<int64_t>();
    c.ffn_hidden_size = get("ffn_hidden_size").get<int64_t>();
    c.num_layers = get("num_layers").get<int64_t>();
    c.num_attention_heads = get("num_attention_heads").get<int64_t>();
    c.num_query_groups = get("num_query_groups").get<int64_t>();
    c.max_position_embeddings = get("max_position_embeddings").get<int64_t>();
    c.position = parse_enum<PositionType>(
        get("position_embedding_type").get<std::string>(),
        {{"rope", PositionType::Rope}, {"alibi", PositionType::Alibi}, {"absolute", PositionType::Absolute}},
        what, "position_embedding_type");
    c.rope_theta = get("rope_theta").get<float>();
    c.norm = parse_enum<NormType>(get("normalization").get<std::string>(),
                                  {{"RMSNorm", NormType::RMSNorm}, {"LayerNorm", NormType::LayerNorm}},
                                  what, "normalization");
    c.norm_eps = get("norm_epsilon").get<float>();
    c.mlp = parse_enum<MlpType>(get("mlp").get<std::string>(),
                                {{"swiglu", MlpType::SwiGLU}, {"gelu", MlpType::GeLU}}, what, "mlp");
    c.qkv_bias = get("qkv_bias").get<bool>();
    c.out_bias = get("out_bias").get<bool>();
    c.mlp_bias = get("mlp_bias").get<bool>();
    c.tied_embeddings = get("tied_embeddings").get<bool>();
    c.embedding_norm = get("embedding_norm").get<bool>();
    c.lm_norm_weight = get("lm_norm_weight").get<bool>();
    c.z_loss = get("z_loss").get<float>();
    c.init_method_std = get("init_method_std").get<float>();
    // Checkpoints written before dropout existed trained without it.
    c.attention_dropout = j.value("attention_dropout", 0.f);
    c.hidden_dropout = j.value("hidden_dropout", 0.f);
    // Checkpoints written before vocabulary padding existed had none.
    c.make_vocab_size_divisible_by = j.value("make_vocab_size_divisible_by", int64_t{1});
  } catch (const nlohmann::json::exception& e) {
    throw error("[checkpoint] ", what, ": bad model config: ", e.what());
  }
  c.validate();
  return c;
}

}  // namespace ascent
