#include "checkpoint/hf_config.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint/safetensors.h"
#include "core/error.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kBaichuan13BLayers = 40;        // Baichuan-13B and Baichuan2-13B use ALiBi
constexpr int64_t kBaichuan2Vocab = 125696;       // Baichuan2 models use NormHead
constexpr int64_t kBloomDefaultPositions = 2048;  // ALiBi has no table; used only for limits

// Reads config.json fields, naming the file and the field in every error. A JSON null counts as
// absent (HF writes "n_inner": null, "rope_scaling": null).
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  const std::string& where() const { return where_; }
  // The first of keys that is present, or nullptr.
  const json* find(std::initializer_list<const char*> keys) const {
    for (const char* k : keys) {
      auto it = j_.find(k);
      if (it != j_.end() && !it->is_null()) return &*it;
    }
    return nullptr;
  }
  bool has(const char* key) const { return find({key}) != nullptr; }

  int64_t get_int(std::initializer_list<const char*> keys) const {
    const json* v = find(keys);
    if (!v) throw missing(keys);
    if (!v->is_number_integer())
      throw error(where_, ": field '", *keys.begin(), "' must be an integer, got ", v->dump());
    return v->get<int64_t>();
  }
  int64_t get_int_or(std::initializer_list<const char*> keys, int64_t def) const {
    return find(keys) ? get_int(keys) : def;
  }
  float get_float(std::initializer_list<const char*> keys) const {
    const json* v = find(keys);
    if (!v) throw missing(keys);
    if (!v->is_number())
      throw error(where_, ": field '", *keys.begin(), "' must be a number, got ", v->dump());
    return static_cast<float>(v->get<double>());
  }
  float get_float_or(std::initializer_list<const char*> keys, float def) const {
    return find(keys) ? get_float(keys) : def;
  }
  bool get_bool_or(const char* key, bool def) const {
    const json* v = find({key});
    if (!v) return def;
    if (!v->is_boolean()) throw error(where_, ": field '", key, "' must be true or false");
    return v->get<bool>();
  }
  std::string get_string_or(const char* key, const std::string& def) const {
    const json* v = find({key});
    if (!v) return def;
    if (!v->is_string()) throw error(where_, ": field '", key, "' must be a string");
    return v->get<std::string>();
  }

 private:
  Error missing(std::initializer_list<const char*> keys) const {
    std::string names;
    for (const char* k : keys) names += (names.empty() ? "'" : "' or '") + std::string(k);
    return error(where_, ": missing field ", names, "'");
  }
  const json& j_;
  std::string where_;
};

HfArch parse_arch(const Fields& f, const json& j) {
  std::string arch;
  auto it = j.find("architectures");
  if (it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
    arch = (*it)[0].get<std::string>();
  } else {
    // Some hand-written configs carry only model_type.
    const std::string mt = f.get_string_or("model_type", "");
    if (mt.empty()) throw error(f.where(), ": missing field 'architectures'");
    if (mt == "llama" || mt == "aquila") return HfArch::Llama;
    if (mt == "internlm") return HfArch::InternLM;
    if (mt == "baichuan") return HfArch::Baichuan;
    if (mt == "bloom") return HfArch::Bloom;
    if (mt == "gpt2") return HfArch::GPT2;
    throw error(f.where(), ": unknown model_type '", mt, "' and no 'architectures'");
  }
  if (arch == "LlamaForCausalLM" || arch == "AquilaForCausalLM") return HfArch::Llama;
  if (arch == "InternLMForCausalLM") return HfArch::InternLM;
  if (arch == "BaichuanForCausalLM" || arch == "BaiChuanForCausalLM") return HfArch::Baichuan;
  if (arch == "BloomForCausalLM") return HfArch::Bloom;
  if (arch == "GPT2LMHeadModel") return HfArch::GPT2;
  throw error(f.where(), ": unsupported architectures '", arch,
              "' (supported: LlamaForCausalLM, AquilaForCausalLM, InternLMForCausalLM, "
              "BaichuanForCausalLM, BloomForCausalLM, GPT2LMHeadModel)");
}

// LLaMA, InternLM and Baichuan share the decoder: RoPE (or ALiBi), RMSNorm, SwiGLU.
void read_llama_like(const Fields& f, ModelConfig& c) {
  c.vocab_size = f.get_int({"vocab_size"});
  c.hidden_size = f.get_int({"hidden_size"});
  c.ffn_hidden_size = f.get_int({"intermediate_size"});
  c.num_layers = f.get_int({"num_hidden_layers"});
  c.num_attention_heads = f.get_int({"num_attention_heads"});
  c.num_query_groups = f.get_int_or({"num_key_value_heads"}, c.num_attention_heads);
  c.norm_eps = f.get_float({"rms_norm_eps"});
  c.tied_embeddings = f.get_bool_or("tie_word_embeddings", false);
  c.position = PositionType::Rope;
  c.norm = NormType::RMSNorm;
  c.mlp = MlpType::SwiGLU;
  c.rope_theta = f.get_float_or({"rope_theta"}, 10000.f);
  const std::string act = f.get_string_or("hidden_act", "silu");
  if (act != "silu")
    throw error(f.where(), ": field 'hidden_act' is '", act, "', only 'silu' is supported");
  if (f.has("rope_scaling"))
    throw error(f.where(), ": field 'rope_scaling' is not supported (expected null)");
  if (f.has("head_dim") && f.get_int({"head_dim"}) * c.num_attention_heads != c.hidden_size)
    throw error(f.where(), ": field 'head_dim' must equal hidden_size / num_attention_heads");
}

void read_llama(const Fields& f, ModelConfig& c) {
  read_llama_like(f, c);
  c.max_position_embeddings = f.get_int({"max_position_embeddings"});
  c.qkv_bias = c.out_bias = f.get_bool_or("attention_bias", false);
  c.mlp_bias = f.get_bool_or("mlp_bias", false);
}

void read_internlm(const Fields& f, ModelConfig& c) {
  read_llama_like(f, c);
  c.max_position_embeddings = f.get_int({"max_position_embeddings"});
  c.qkv_bias = c.out_bias = f.get_bool_or("bias", true);
  if (const json* r = f.find({"rotary"})) {
    if (!r->is_object() || !r->contains("base") || !(*r)["base"].is_number())
      throw error(f.where(), ": field 'rotary' must be an object with a numeric 'base'");
    c.rope_theta = static_cast<float>((*r)["base"].get<double>());
  }
}

void read_baichuan(const Fields& f, ModelConfig& c) {
  read_llama_like(f, c);
  if (c.num_query_groups != c.num_attention_heads)
    throw error(f.where(),
                ": field 'num_key_value_heads' must equal num_attention_heads "
                "(Baichuan's W_pack has no GQA)");
  c.max_position_embeddings = f.get_int({"max_position_embeddings", "model_max_length"});
  const std::string pos = f.get_string_or("position_embedding_type",
                                          c.num_layers == kBaichuan13BLayers ? "alibi" : "rope");
  if (pos == "alibi") {
    c.position = PositionType::Alibi;
  } else if (pos != "rope") {
    throw error(f.where(), ": field 'position_embedding_type' must be 'rope' or 'alibi', got '",
                pos, "'");
  }
  c.lm_norm_weight = f.get_bool_or("lm_norm_weight", c.vocab_size == kBaichuan2Vocab);
}

void read_bloom(const Fields& f, ModelConfig& c) {
  c.vocab_size = f.get_int({"vocab_size"});
  c.hidden_size = f.get_int({"hidden_size", "n_embed"});
  c.ffn_hidden_size = 4 * c.hidden_size;
  c.num_layers = f.get_int({"n_layer", "num_hidden_layers"});
  c.num_attention_heads = f.get_int({"n_head", "num_attention_heads"});
  c.num_query_groups = c.num_attention_heads;
  c.max_position_embeddings = f.get_int_or({"seq_length"}, kBloomDefaultPositions);
  c.norm_eps = f.get_float({"layer_norm_epsilon"});
  c.position = PositionType::Alibi;
  c.norm = NormType::LayerNorm;
  c.mlp = MlpType::GeLU;
  c.qkv_bias = c.out_bias = c.mlp_bias = true;
  c.embedding_norm = true;
  c.tied_embeddings = f.get_bool_or("tie_word_embeddings", true);
  if (f.get_bool_or("apply_residual_connection_post_layernorm", false))
    throw error(f.where(),
                ": field 'apply_residual_connection_post_layernorm' = true is not "
                "supported");
}

void read_gpt2(const Fields& f, ModelConfig& c) {
  c.vocab_size = f.get_int({"vocab_size"});
  c.hidden_size = f.get_int({"n_embd", "hidden_size"});
  c.num_layers = f.get_int({"n_layer", "num_hidden_layers"});
  c.num_attention_heads = f.get_int({"n_head", "num_attention_heads"});
  c.num_query_groups = c.num_attention_heads;
  c.max_position_embeddings = f.get_int({"n_positions", "n_ctx", "max_position_embeddings"});
  c.ffn_hidden_size = f.get_int_or({"n_inner"}, 4 * c.hidden_size);
  c.norm_eps = f.get_float({"layer_norm_epsilon"});
  c.position = PositionType::Absolute;
  c.norm = NormType::LayerNorm;
  c.mlp = MlpType::GeLU;
  c.qkv_bias = c.out_bias = c.mlp_bias = true;
  c.tied_embeddings = f.get_bool_or("tie_word_embeddings", true);
  const std::string act = f.get_string_or("activation_function", "gelu_new");
  if (act != "gelu_new" && act != "gelu_pytorch_tanh")
    throw error(f.where(), ": field 'activation_function' is '", act,
                "', only the tanh GeLU ('gelu_new') is supported");
  if (!f.get_bool_or("scale_attn_weights", true) ||
      f.get_bool_or("scale_attn_by_inverse_layer_idx", false))
    throw error(f.where(),
                ": fields 'scale_attn_weights' / 'scale_attn_by_inverse_layer_idx' "
                "must keep their defaults (true / false)");
}

// A float as the shortest decimal that reads back to it (1e-05, not 9.99999974737875e-06).
double decimal(float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

const char* torch_dtype(DType t) {
  switch (t) {
    case DType::F32:
      return "float32";
    case DType::BF16:
      return "bfloat16";
    case DType::F16:
      return "float16";
  }
  return "float32";
}

json llama_like_json(const ModelConfig& c, const char* model_type) {
  return {{"architectures", json::array({hf_arch_name(c.hf_arch)})},
          {"model_type", model_type},
          {"vocab_size", c.vocab_size},
          {"hidden_size", c.hidden_size},
          {"intermediate_size", c.ffn_hidden_size},
          {"num_hidden_layers", c.num_layers},
          {"num_attention_heads", c.num_attention_heads},
          {"hidden_act", "silu"},
          {"max_position_embeddings", c.max_position_embeddings},
          {"rms_norm_eps", decimal(c.norm_eps)},
          {"tie_word_embeddings", c.tied_embeddings},
          {"initializer_range", decimal(c.init_method_std)}};
}

json config_json(const ModelConfig& c) {
  json j;
  switch (c.hf_arch) {
    case HfArch::Llama:
      j = llama_like_json(c, "llama");
      j["num_key_value_heads"] = c.num_query_groups;
      j["rope_theta"] = decimal(c.rope_theta);
      j["rope_scaling"] = nullptr;
      j["attention_bias"] = c.qkv_bias;
      j["mlp_bias"] = c.mlp_bias;
      break;
    case HfArch::InternLM:
      j = llama_like_json(c, "internlm");
      j["bias"] = c.qkv_bias;
      j["rope_theta"] = decimal(c.rope_theta);
      j["rotary"] = {{"base", decimal(c.rope_theta)}, {"type", "origin"}};
      break;
    case HfArch::Baichuan:
      j = llama_like_json(c, "baichuan");
      j["model_max_length"] = c.max_position_embeddings;
      j["position_embedding_type"] = position_type_name(c.position);
      j["lm_norm_weight"] = c.lm_norm_weight;
      if (c.position == PositionType::Rope) j["rope_theta"] = decimal(c.rope_theta);
      break;
    case HfArch::Bloom:
      j = {{"architectures", json::array({"BloomForCausalLM"})},
           {"model_type", "bloom"},
           {"vocab_size", c.vocab_size},
           {"hidden_size", c.hidden_size},
           {"n_layer", c.num_layers},
           {"n_head", c.num_attention_heads},
           {"layer_norm_epsilon", decimal(c.norm_eps)},
           {"seq_length", c.max_position_embeddings},
           {"apply_residual_connection_post_layernorm", false},
           {"hidden_dropout", 0.0},
           {"attention_dropout", 0.0},
           {"pretraining_tp", 1},
           {"slow_but_exact", false},
           {"tie_word_embeddings", c.tied_embeddings},
           {"initializer_range", decimal(c.init_method_std)}};
      break;
    case HfArch::GPT2:
      j = {{"architectures", json::array({"GPT2LMHeadModel"})},
           {"model_type", "gpt2"},
           {"vocab_size", c.vocab_size},
           {"n_embd", c.hidden_size},
           {"n_layer", c.num_layers},
           {"n_head", c.num_attention_heads},
           {"n_positions", c.max_position_embeddings},
           {"n_inner",
            c.ffn_hidden_size == 4 * c.hidden_size ? json(nullptr) : json(c.ffn_hidden_size)},
           {"activation_function", "gelu_new"},
           {"layer_norm_epsilon", decimal(c.norm_eps)},
           {"resid_pdrop", 0.0},
           {"embd_pdrop", 0.0},
           {"attn_pdrop", 0.0},
           {"scale_attn_weights", true},
           {"tie_word_embeddings", c.tied_embeddings},
           {"initializer_range", decimal(c.init_method_std)}};
      break;
  }
  j["use_cache"] = true;
  return j;
}

}  // namespace

void check_hf_arch(const ModelConfig& c, const std::string& what) {
  const char* arch = hf_arch_name(c.hf_arch);
  auto need = [&](bool ok, const char* why) {
    if (!ok) throw error("[hf] ", what, ": cannot express this model as ", arch, ": ", why);
  };
  const bool llama_like =
      c.hf_arch == HfArch::Llama || c.hf_arch == HfArch::InternLM || c.hf_arch == HfArch::Baichuan;
  if (llama_like) {
    need(c.norm == NormType::RMSNorm, "needs RMSNorm");
    need(c.mlp == MlpType::SwiGLU, "needs a SwiGLU MLP");
    need(!c.embedding_norm, "has no embedding LayerNorm");
    need(c.qkv_bias == c.out_bias, "q/k/v and o biases come together");
    need(c.hf_arch == HfArch::Baichuan ? c.position != PositionType::Absolute
                                       : c.position == PositionType::Rope,
         "unsupported position embedding");
    need(c.hf_arch == HfArch::Baichuan || !c.lm_norm_weight, "has no NormHead");
  } else {
    need(c.norm == NormType::LayerNorm, "needs LayerNorm");
    need(c.mlp == MlpType::GeLU, "needs a GeLU MLP");
    need(c.qkv_bias && c.out_bias && c.mlp_bias, "needs every bias");
    need(!c.lm_norm_weight, "has no NormHead");
    need(c.num_query_groups == c.num_attention_heads, "has no GQA");
  }
  switch (c.hf_arch) {
    case HfArch::Llama:
      break;
    case HfArch::InternLM:
      need(c.num_query_groups == c.num_attention_heads, "has no GQA");
      need(!c.mlp_bias, "has no MLP biases");
      break;
    case HfArch::Baichuan:
      need(c.num_query_groups == c.num_attention_heads, "has no GQA (fused W_pack)");
      need(!c.qkv_bias && !c.mlp_bias, "has no biases");
      break;
    case HfArch::Bloom:
      need(c.position == PositionType::Alibi, "needs ALiBi");
      need(c.embedding_norm, "needs the embedding LayerNorm");
      need(c.ffn_hidden_size == 4 * c.hidden_size, "needs ffn_hidden_size = 4 * hidden_size");
      break;
    case HfArch::GPT2:
      need(c.position == PositionType::Absolute, "needs learned absolute positions");
      need(!c.embedding_norm, "has no embedding LayerNorm");
      break;
  }
}

ModelConfig read_hf_config(const std::string& dir) {
  const fs::path p = fs::is_directory(dir) ? fs::path(dir) / "config.json" : fs::path(dir);
  const std::string where = "[hf] " + p.string();
  std::ifstream in(p, std::ios::binary);
  if (!in) throw error(where, ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::exception& e) {
    throw error(where, ": bad JSON: ", e.what());
  }
  if (!j.is_object()) throw error(where, ": not a JSON object");
  const Fields f(j, where);
  ModelConfig c;
  const fs::path named = fs::is_directory(dir) ? fs::path(dir) : p.parent_path();
  c.name = named.filename().empty() ? "hf" : named.filename().string();
  c.hf_arch = parse_arch(f, j);
  switch (c.hf_arch) {
    case HfArch::Llama:
      read_llama(f, c);
      break;
    case HfArch::InternLM:
      read_internlm(f, c);
      break;
    case HfArch::Baichuan:
      read_baichuan(f, c);
      break;
    case HfArch::Bloom:
      read_bloom(f, c);
      break;
    case HfArch::GPT2:
      read_gpt2(f, c);
      break;
  }
  c.init_method_std = f.get_float_or({"initializer_range"}, c.init_method_std);
  try {
    c.validate();
  } catch (const Error& e) {
    throw error(where, ": ", e.what());
  }
  return c;
}

void write_hf_config(const std::string& dir, const ModelConfig& cfg, DType dtype) {
  const fs::path p = fs::path(dir) / "config.json";
  check_hf_arch(cfg, p.string());
  json j = config_json(cfg);
  j["torch_dtype"] = torch_dtype(dtype);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw error("[hf] ", dir, ": cannot create directory: ", ec.message());
  const std::string text = j.dump(2) + "\n";
  safetensors::write_file_atomic(p.string(),
                                 {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

}  // namespace ascent
