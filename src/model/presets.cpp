#include <functional>
#include <map>

#include "core/error.h"
#include "model/config.h"

namespace ascent {
namespace {

ModelConfig llama(const std::string& name, int64_t C, int64_t F, int64_t L, int64_t NH,
                  int64_t KVH, int64_t V, int64_t P, float eps) {
  ModelConfig c;
  c.name = name;
  c.hidden_size = C;
  c.ffn_hidden_size = F;
  c.num_layers = L;
  c.num_attention_heads = NH;
  c.num_query_groups = KVH;
  c.vocab_size = V;
  c.max_position_embeddings = P;
  c.norm_eps = eps;
  return c;
}

const std::map<std::string, std::function<ModelConfig()>>& presets() {
  static const std::map<std::string, std::function<ModelConfig()>> table = {
      // Reference config R1 (DESIGN.md section 8).
      {"r1", [] { return llama("r1", 288, 768, 6, 6, 6, 32000, 256, 1e-5f); }},
      // Demo and test sizes.
      {"tiny-llama", [] { return llama("tiny-llama", 288, 768, 6, 6, 6, 4096, 256, 1e-5f); }},
  };
  return table;
}

}  // namespace

ModelConfig model_preset(const std::string& name) {
  auto it = presets().find(name);
  if (it == presets().end()) {
    std::string known;
    for (const auto& [k, _] : presets()) known += (known.empty() ? "" : ", ") + k;
    throw error("[model] unknown --model preset '", name, "' (known: ", known, ")");
  }
  ModelConfig c = it->second();
  c.validate();
  return c;
}

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const auto& [k, _] : presets()) names.push_back(k);
  return names;
}

}  // namespace ascent
