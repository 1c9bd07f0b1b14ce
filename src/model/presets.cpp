#include <functional>
#include <map>

#include "core/error.h"
#include "model/config.h"

namespace ascent {
namespace {

ModelConfig llama(const std::string& name, int64_t C, int64_t F, int64_t L, int64_t NH, int64_t KVH,
                  int64_t V, int64_t P, float eps) {
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

// InternLM: the LLaMA layout plus biases on q/k/v and o_proj (HF config "bias": true).
ModelConfig internlm(const std::string& name, int64_t C, int64_t F, int64_t L, int64_t NH,
                     int64_t V, int64_t P, float eps) {
  ModelConfig c = llama(name, C, F, L, NH, NH, V, P, eps);
  c.hf_arch = HfArch::InternLM;
  c.qkv_bias = true;
  c.out_bias = true;
  return c;
}

// Baichuan / Baichuan2: the LLaMA layout (W_pack = fused q/k/v on the HF side); 7B sizes use
// RoPE, 13B sizes ALiBi. Baichuan2 adds NormHead.
ModelConfig baichuan(const std::string& name, int64_t C, int64_t F, int64_t L, int64_t NH,
                     int64_t V, int64_t P, PositionType pos, bool norm_head) {
  ModelConfig c = llama(name, C, F, L, NH, NH, V, P, 1e-6f);
  c.hf_arch = HfArch::Baichuan;
  c.position = pos;
  c.lm_norm_weight = norm_head;
  return c;
}

// Bloom: LayerNorm (also after the embedding), ALiBi, GeLU MLP of 4C, biases everywhere, LM
// head tied to the embedding.
ModelConfig bloom(const std::string& name, int64_t C, int64_t L, int64_t NH, int64_t V, int64_t P) {
  ModelConfig c = llama(name, C, 4 * C, L, NH, NH, V, P, 1e-5f);
  c.hf_arch = HfArch::Bloom;
  c.position = PositionType::Alibi;
  c.norm = NormType::LayerNorm;
  c.mlp = MlpType::GeLU;
  c.qkv_bias = c.out_bias = c.mlp_bias = true;
  c.tied_embeddings = true;
  c.embedding_norm = true;
  return c;
}

// GPT-2: learned absolute positions, LayerNorm, GeLU MLP of 4C, biases everywhere, tied head.
ModelConfig gpt2(const std::string& name, int64_t C, int64_t L, int64_t NH, int64_t V, int64_t P) {
  ModelConfig c = llama(name, C, 4 * C, L, NH, NH, V, P, 1e-5f);
  c.hf_arch = HfArch::GPT2;
  c.position = PositionType::Absolute;
  c.norm = NormType::LayerNorm;
  c.mlp = MlpType::GeLU;
  c.qkv_bias = c.out_bias = c.mlp_bias = true;
  c.tied_embeddings = true;
  return c;
}

using PresetTable = std::map<std::string, std::function<ModelConfig()>>;

// R1, the demo and test sizes, LLaMA-1 and LLaMA-2.
PresetTable llama_presets() {
  using enum PositionType;
  return {
      // Reference config R1 (DESIGN.md section 8).
      {"r1", [] { return llama("r1", 288, 768, 6, 6, 6, 32000, 256, 1e-5f); }},
      // Demo and test sizes.
      {"tiny-llama", [] { return llama("tiny-llama", 288, 768, 6, 6, 6, 4096, 256, 1e-5f); }},
      {"tiny-gqa", [] { return llama("tiny-gqa", 64, 176, 4, 4, 2, 512, 256, 1e-5f); }},
      {"tiny-bloom", [] { return bloom("tiny-bloom", 64, 4, 4, 512, 256); }},
      {"tiny-gpt2", [] { return gpt2("tiny-gpt2", 64, 4, 4, 512, 256); }},
      {"tiny-baichuan2",
       [] { return baichuan("tiny-baichuan2", 64, 176, 4, 4, 512, 256, Alibi, true); }},

      // LLaMA-1 (HF config.json: vocab 32000, rms_norm_eps 1e-6, 2048 positions).
      {"llama-7b", [] { return llama("llama-7b", 4096, 11008, 32, 32, 32, 32000, 2048, 1e-6f); }},
      {"llama-13b", [] { return llama("llama-13b", 5120, 13824, 40, 40, 40, 32000, 2048, 1e-6f); }},
      {"llama-33b", [] { return llama("llama-33b", 6656, 17920, 60, 52, 52, 32000, 2048, 1e-6f); }},
      {"llama-65b", [] { return llama("llama-65b", 8192, 22016, 80, 64, 64, 32000, 2048, 1e-6f); }},

      // LLaMA-2 (vocab 32000, rms_norm_eps 1e-5, 4096 positions; 34B and 70B use GQA with 8
      // groups). 34B was never released: sizes from AscendSpeed's pretrain_llama2_34B_ptd.sh
      // (48 layers, 8192 hidden, 22016 ffn, 64 heads, 8 query groups, vocab padded to 32000).
      {"llama2-7b", [] { return llama("llama2-7b", 4096, 11008, 32, 32, 32, 32000, 4096, 1e-5f); }},
      {"llama2-13b",
       [] { return llama("llama2-13b", 5120, 13824, 40, 40, 40, 32000, 4096, 1e-5f); }},
      {"llama2-34b",
       [] { return llama("llama2-34b", 8192, 22016, 48, 64, 8, 32000, 4096, 1e-5f); }},
      {"llama2-70b",
       [] { return llama("llama2-70b", 8192, 28672, 80, 64, 8, 32000, 4096, 1e-5f); }},
  };
}

// Baichuan, Baichuan2, Bloom, InternLM, Aquila, GPT-2.
PresetTable other_presets() {
  using enum PositionType;
  return {
      // Baichuan (vocab 64000) and Baichuan2 (vocab 125696, NormHead): rms_norm_eps 1e-6,
      // 4096 positions; 7B uses RoPE, 13B ALiBi.
      {"baichuan-7b",
       [] { return baichuan("baichuan-7b", 4096, 11008, 32, 32, 64000, 4096, Rope, false); }},
      {"baichuan-13b",
       [] { return baichuan("baichuan-13b", 5120, 13696, 40, 40, 64000, 4096, Alibi, false); }},
      {"baichuan2-7b",
       [] { return baichuan("baichuan2-7b", 4096, 11008, 32, 32, 125696, 4096, Rope, true); }},
      {"baichuan2-13b",
       [] { return baichuan("baichuan2-13b", 5120, 13696, 40, 40, 125696, 4096, Alibi, true); }},

      // Bloom (vocab 250880, layer_norm_epsilon 1e-5; trained at 2048 tokens).
      {"bloom-7b1", [] { return bloom("bloom-7b1", 4096, 30, 32, 250880, 2048); }},
      {"bloom-176b", [] { return bloom("bloom-176b", 14336, 70, 112, 250880, 2048); }},

      // InternLM (vocab 103168, rms_norm_eps 1e-6, 2048 positions, q/k/v/o biases). 65B has no
      // HF release: sizes from AscendSpeed's pretrain_internlm_65b_ptd_32p.sh (80 layers, 8192
      // hidden, 22016 ffn, 64 heads, 2048 positions, RMSNorm, RoPE), which uses the InternLM-7B
      // tokenizer (vocab 103168) and InternLM attention with q/k/v and dense biases.
      {"internlm-7b",
       [] { return internlm("internlm-7b", 4096, 11008, 32, 32, 103168, 2048, 1e-6f); }},
      {"internlm-65b",
       [] { return internlm("internlm-65b", 8192, 22016, 80, 64, 103168, 2048, 1e-6f); }},

      // Aquila-7B (AquilaForCausalLM = LLaMA layout; vocab 100008, rms_norm_eps 1e-6).
      {"aquila-7b",
       [] { return llama("aquila-7b", 4096, 11008, 32, 32, 32, 100008, 2048, 1e-6f); }},

      // GPT-2 (vocab 50257, n_positions 1024, layer_norm_epsilon 1e-5).
      {"gpt2", [] { return gpt2("gpt2", 768, 12, 12, 50257, 1024); }},
      {"gpt2-medium", [] { return gpt2("gpt2-medium", 1024, 24, 16, 50257, 1024); }},
      {"gpt2-large", [] { return gpt2("gpt2-large", 1280, 36, 20, 50257, 1024); }},
      {"gpt2-xl", [] { return gpt2("gpt2-xl", 1600, 48, 25, 50257, 1024); }},
  };
}

const PresetTable& presets() {
  static const PresetTable table = [] {
    PresetTable t = llama_presets();
    t.merge(other_presets());
    return t;
  }();
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
