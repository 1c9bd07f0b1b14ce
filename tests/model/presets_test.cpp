// Model presets: published hyperparameters, checked through their parameter counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "core/error.h"
#include "model/config.h"

namespace ascent {
namespace {

// Exact num_params() of every preset. Where a model card / paper publishes an exact count, the
// figure here is that count; the rest are the arithmetic of the published config.json sizes
// (embeddings + per-layer weights/biases/norms + final norm, tied weights once).
const std::map<std::string, int64_t>& expected_params() {
  static const std::map<std::string, int64_t> m = {
      {"r1", 24407712},
      {"tiny-llama", 8335008},
      {"tiny-gqa", 250432},
      {"tiny-bloom", 232960},
      {"tiny-gpt2", 249216},
      {"tiny-baichuan2", 266816},
      {"llama-7b", 6738415616},
      {"llama-13b", 13015864320},
      {"llama-33b", 32528943616},
      {"llama-65b", 65285660672},  // 80 x 809,517,056 + 2 x 32000 x 8192 + 8192
      {"llama2-7b", 6738415616},
      {"llama2-13b", 13015864320},
      {"llama2-34b", 33743970304},
      {"llama2-70b", 68976648192},
      {"baichuan-7b", 7000559616},
      {"baichuan-13b", 13264901120},
      {"baichuan2-7b", 7505973248},
      {"baichuan2-13b", 13896668160},
      {"bloom-7b1", 7069016064},
      {"bloom-176b", 176247271424},
      {"internlm-7b", 7321948160},
      {"internlm-65b", 66454298624},
      {"aquila-7b", 7295537152},
      {"gpt2", 124439808},
      {"gpt2-medium", 354823168},
      {"gpt2-large", 774030080},
      {"gpt2-xl", 1557611200},
  };
  return m;
}

// Rounded published figures (model cards / papers), checked to within 0.5%.
const std::map<std::string, double>& rounded_params() {
  static const std::map<std::string, double> m = {
      {"baichuan-7b", 7.0e9},    {"baichuan-13b", 13.26e9}, {"baichuan2-7b", 7.51e9},
      {"baichuan2-13b", 13.9e9}, {"internlm-7b", 7.32e9},   {"aquila-7b", 7.26e9},
  };
  return m;
}

TEST(Presets, EveryPresetHasAnExpectedCount) {
  const auto names = model_preset_names();
  EXPECT_EQ(names.size(), expected_params().size());
  for (const auto& n : names) EXPECT_TRUE(expected_params().count(n)) << n;
  for (const auto& [n, _] : expected_params()) {
    EXPECT_NO_THROW(model_preset(n)) << n;
  }
}

TEST(Presets, ParamCountsMatchPublishedFigures) {
  for (const auto& [name, expected] : expected_params()) {
    const ModelConfig c = model_preset(name);
    const int64_t n = c.num_params();
    std::printf("%-15s %16lld params (%.3fB)\n", name.c_str(), static_cast<long long>(n),
                static_cast<double>(n) / 1e9);
    EXPECT_EQ(n, expected) << name;
  }
}

TEST(Presets, RoundedParamCountsWithinHalfPercent) {
  for (const auto& [name, published] : rounded_params()) {
    const double n = static_cast<double>(model_preset(name).num_params());
    EXPECT_LE(std::abs(n - published) / published, 0.005) << name << ": " << n;
  }
}

TEST(Presets, EveryPresetValidatesAndIsNamed) {
  for (const auto& name : model_preset_names()) {
    const ModelConfig c = model_preset(name);
    EXPECT_NO_THROW(c.validate()) << name;
    EXPECT_EQ(c.name, name);
  }
}

TEST(Presets, TinyPresetsAreSmall) {
  for (const char* name : {"tiny-gqa", "tiny-bloom", "tiny-gpt2", "tiny-baichuan2"}) {
    const int64_t n = model_preset(name).num_params();
    EXPECT_GT(n, 100000) << name;
    EXPECT_LT(n, 1000000) << name;
  }
  const ModelConfig g = model_preset("tiny-gqa");
  EXPECT_LT(g.num_query_groups, g.num_attention_heads);
}

TEST(Presets, ArchitectureFlags) {
  const ModelConfig l1 = model_preset("llama-65b");
  EXPECT_EQ(l1.vocab_size, 32000);
  EXPECT_FLOAT_EQ(l1.norm_eps, 1e-6f);
  EXPECT_EQ(l1.max_position_embeddings, 2048);
  EXPECT_EQ(l1.hf_arch, HfArch::Llama);

  for (const char* name : {"llama2-34b", "llama2-70b"}) {
    const ModelConfig c = model_preset(name);
    EXPECT_EQ(c.num_attention_heads, 64) << name;
    EXPECT_EQ(c.num_query_groups, 8) << name;
    EXPECT_EQ(c.max_position_embeddings, 4096) << name;
    EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f) << name;
  }

  for (const char* name : {"baichuan-7b", "baichuan-13b", "baichuan2-7b", "baichuan2-13b"}) {
    const ModelConfig c = model_preset(name);
    const std::string n = name;
    EXPECT_EQ(c.hf_arch, HfArch::Baichuan) << name;
    EXPECT_EQ(c.position,
              n.find("13b") != std::string::npos ? PositionType::Alibi : PositionType::Rope)
        << name;
    EXPECT_EQ(c.lm_norm_weight, n.rfind("baichuan2", 0) == 0) << name;
    EXPECT_EQ(c.vocab_size, n.rfind("baichuan2", 0) == 0 ? 125696 : 64000) << name;
  }

  for (const char* name : {"bloom-7b1", "bloom-176b", "tiny-bloom"}) {
    const ModelConfig c = model_preset(name);
    EXPECT_EQ(c.hf_arch, HfArch::Bloom) << name;
    EXPECT_EQ(c.position, PositionType::Alibi) << name;
    EXPECT_EQ(c.norm, NormType::LayerNorm) << name;
    EXPECT_EQ(c.mlp, MlpType::GeLU) << name;
    EXPECT_TRUE(c.qkv_bias && c.out_bias && c.mlp_bias) << name;
    EXPECT_TRUE(c.tied_embeddings && c.embedding_norm) << name;
    EXPECT_EQ(c.ffn_hidden_size, 4 * c.hidden_size) << name;
  }

  for (const char* name : {"gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "tiny-gpt2"}) {
    const ModelConfig c = model_preset(name);
    EXPECT_EQ(c.hf_arch, HfArch::GPT2) << name;
    EXPECT_EQ(c.position, PositionType::Absolute) << name;
    EXPECT_EQ(c.norm, NormType::LayerNorm) << name;
    EXPECT_EQ(c.mlp, MlpType::GeLU) << name;
    EXPECT_TRUE(c.qkv_bias && c.out_bias && c.mlp_bias && c.tied_embeddings) << name;
    EXPECT_FALSE(c.embedding_norm) << name;
  }
  EXPECT_EQ(model_preset("gpt2").max_position_embeddings, 1024);
  EXPECT_EQ(model_preset("gpt2").vocab_size, 50257);

  for (const char* name : {"internlm-7b", "internlm-65b"}) {
    const ModelConfig c = model_preset(name);
    EXPECT_EQ(c.hf_arch, HfArch::InternLM) << name;
    EXPECT_TRUE(c.qkv_bias && c.out_bias) << name;
    EXPECT_FALSE(c.mlp_bias) << name;
    EXPECT_EQ(c.vocab_size, 103168) << name;
  }

  const ModelConfig a = model_preset("aquila-7b");
  EXPECT_EQ(a.vocab_size, 100008);
  EXPECT_EQ(a.position, PositionType::Rope);
}

TEST(Presets, UnknownNameThrowsListingKnownNames) {
  try {
    model_preset("no-such-model");
    FAIL() << "expected ascent::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("no-such-model"), std::string::npos) << msg;
    for (const auto& n : model_preset_names()) EXPECT_NE(msg.find(n), std::string::npos) << n;
  }
  EXPECT_THROW(model_preset(""), Error);
}

}  // namespace
}  // namespace ascent
