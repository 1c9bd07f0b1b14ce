#include "checkpoint/hf_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "checkpoint/test_dir.h"
#include "checkpoint/tiny_families.h"

namespace ascent {
namespace {

using ascent::testing::expect_error;
using ascent::testing::read_text;
using ascent::testing::TestDir;
using ascent::testing::write_text;

ModelConfig read_text_config(const TestDir& dir, const std::string& text) {
  write_text(dir / "config.json", text);
  return read_hf_config(dir.str());
}

void expect_same(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.hf_arch, b.hf_arch);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.ffn_hidden_size, b.ffn_hidden_size);
  EXPECT_EQ(a.num_layers, b.num_layers);
  EXPECT_EQ(a.num_attention_heads, b.num_attention_heads);
  EXPECT_EQ(a.num_query_groups, b.num_query_groups);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.position, b.position);
  if (a.position == PositionType::Rope) {
    EXPECT_EQ(a.rope_theta, b.rope_theta);
  }
  EXPECT_EQ(a.norm, b.norm);
  EXPECT_EQ(a.norm_eps, b.norm_eps);
  EXPECT_EQ(a.mlp, b.mlp);
  EXPECT_EQ(a.qkv_bias, b.qkv_bias);
  EXPECT_EQ(a.out_bias, b.out_bias);
  EXPECT_EQ(a.mlp_bias, b.mlp_bias);
  EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
  EXPECT_EQ(a.embedding_norm, b.embedding_norm);
  EXPECT_EQ(a.lm_norm_weight, b.lm_norm_weight);
}

TEST(HfConfig, ReadsLlamaWithGqa) {
  TestDir dir;
  const ModelConfig c = read_text_config(dir, R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": false,
    "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
    "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 176,
    "max_position_embeddings": 256, "num_attention_heads": 8, "num_hidden_layers": 3,
    "num_key_value_heads": 2, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null,
    "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
    "transformers_version": "4.40.0", "use_cache": true, "vocab_size": 1000})");
  EXPECT_EQ(c.hf_arch, HfArch::Llama);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.ffn_hidden_size, 176);
  EXPECT_EQ(c.num_layers, 3);
  EXPECT_EQ(c.num_attention_heads, 8);
  EXPECT_EQ(c.num_query_groups, 2);
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.max_position_embeddings, 256);
  EXPECT_EQ(c.norm_eps, 1e-5f);
  EXPECT_EQ(c.rope_theta, 500000.f);
  EXPECT_EQ(c.position, PositionType::Rope);
  EXPECT_EQ(c.norm, NormType::RMSNorm);
  EXPECT_EQ(c.mlp, MlpType::SwiGLU);
  EXPECT_FALSE(c.tied_embeddings);
  EXPECT_FALSE(c.qkv_bias);
}

TEST(HfConfig, ReadsInternLM) {
  TestDir dir;
  const ModelConfig c = read_text_config(dir, R"({
    "architectures": ["InternLMForCausalLM"], "model_type": "internlm", "bias": true,
    "hidden_act": "silu", "hidden_size": 64, "intermediate_size": 128,
    "max_position_embeddings": 128, "num_attention_heads": 4, "num_hidden_layers": 2,
    "rms_norm_eps": 1e-06, "rotary": {"base": 20000, "type": "origin"},
    "tie_word_embeddings": false, "vocab_size": 512})");
  EXPECT_EQ(c.hf_arch, HfArch::InternLM);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_TRUE(c.out_bias);
  EXPECT_FALSE(c.mlp_bias);
  EXPECT_EQ(c.num_query_groups, 4);
  EXPECT_EQ(c.rope_theta, 20000.f);
  EXPECT_EQ(c.norm_eps, 1e-6f);
}

TEST(HfConfig, BaichuanHeuristicsAndExplicitKeys) {
  TestDir dir;
  auto baichuan = [](const std::string& arch, int layers, int vocab, const std::string& extra) {
    return R"({"architectures": [")" + arch + R"("], "model_type": "baichuan",
      "hidden_act": "silu", "hidden_size": 64, "intermediate_size": 128,
      "model_max_length": 4096, "num_attention_heads": 4, "num_hidden_layers": )" +
           std::to_string(layers) + R"(, "rms_norm_eps": 1e-06, "tie_word_embeddings": false,
      "vocab_size": )" +
           std::to_string(vocab) + extra + "}";
  };
  // Baichuan-7B: RoPE, no NormHead, the old class name.
  ModelConfig c = read_text_config(dir, baichuan("BaiChuanForCausalLM", 32, 64000, ""));
  EXPECT_EQ(c.hf_arch, HfArch::Baichuan);
  EXPECT_EQ(c.position, PositionType::Rope);
  EXPECT_FALSE(c.lm_norm_weight);
  EXPECT_EQ(c.max_position_embeddings, 4096);
  // Baichuan-13B: 40 layers means ALiBi.
  c = read_text_config(dir, baichuan("BaichuanForCausalLM", 40, 64000, ""));
  EXPECT_EQ(c.position, PositionType::Alibi);
  EXPECT_FALSE(c.lm_norm_weight);
  // Baichuan2 (vocab 125696): NormHead; 13B: ALiBi too.
  c = read_text_config(dir, baichuan("BaichuanForCausalLM", 32, 125696, ""));
  EXPECT_EQ(c.position, PositionType::Rope);
  EXPECT_TRUE(c.lm_norm_weight);
  c = read_text_config(dir, baichuan("BaichuanForCausalLM", 40, 125696, ""));
  EXPECT_EQ(c.position, PositionType::Alibi);
  EXPECT_TRUE(c.lm_norm_weight);
  // Our explicit keys win over the heuristics.
  c = read_text_config(dir, baichuan("BaichuanForCausalLM", 2, 100,
                                     R"(, "position_embedding_type": "alibi",
                                        "lm_norm_weight": true)"));
  EXPECT_EQ(c.position, PositionType::Alibi);
  EXPECT_TRUE(c.lm_norm_weight);
  c = read_text_config(dir, baichuan("BaichuanForCausalLM", 40, 125696,
                                     R"(, "position_embedding_type": "rope",
                                        "lm_norm_weight": false)"));
  EXPECT_EQ(c.position, PositionType::Rope);
  EXPECT_FALSE(c.lm_norm_weight);
  expect_error(
      [&] {
        read_text_config(
            dir, baichuan("BaichuanForCausalLM", 2, 100, R"(, "position_embedding_type": "xpos")"));
      },
      {"config.json", "position_embedding_type", "xpos"});
}

TEST(HfConfig, ReadsBloomBothSpellings) {
  TestDir dir;
  // bigscience's original configs say n_embed / num_attention_heads; transformers writes
  // hidden_size / n_head.
  for (const char* text :
       {R"({"architectures": ["BloomForCausalLM"], "model_type": "bloom", "n_embed": 64,
            "n_layer": 2, "num_attention_heads": 4, "layer_norm_epsilon": 1e-05,
            "vocab_size": 300, "apply_residual_connection_post_layernorm": false})",
        R"({"architectures": ["BloomForCausalLM"], "model_type": "bloom", "hidden_size": 64,
            "n_layer": 2, "n_head": 4, "layer_norm_epsilon": 1e-05, "vocab_size": 300,
            "pretraining_tp": 1, "slow_but_exact": false})"}) {
    const ModelConfig c = read_text_config(dir, text);
    EXPECT_EQ(c.hf_arch, HfArch::Bloom);
    EXPECT_EQ(c.hidden_size, 64);
    EXPECT_EQ(c.ffn_hidden_size, 256);
    EXPECT_EQ(c.num_layers, 2);
    EXPECT_EQ(c.num_attention_heads, 4);
    EXPECT_EQ(c.position, PositionType::Alibi);
    EXPECT_EQ(c.norm, NormType::LayerNorm);
    EXPECT_EQ(c.mlp, MlpType::GeLU);
    EXPECT_TRUE(c.qkv_bias && c.out_bias && c.mlp_bias);
    EXPECT_TRUE(c.tied_embeddings);
    EXPECT_TRUE(c.embedding_norm);
  }
}

TEST(HfConfig, ReadsGpt2) {
  TestDir dir;
  const ModelConfig c = read_text_config(dir, R"({
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 48,
    "n_head": 4, "n_inner": null, "n_layer": 2, "n_positions": 64, "resid_pdrop": 0.1,
    "scale_attn_weights": true, "vocab_size": 500})");
  EXPECT_EQ(c.hf_arch, HfArch::GPT2);
  EXPECT_EQ(c.hidden_size, 48);
  EXPECT_EQ(c.ffn_hidden_size, 192);
  EXPECT_EQ(c.max_position_embeddings, 64);
  EXPECT_EQ(c.position, PositionType::Absolute);
  EXPECT_EQ(c.norm, NormType::LayerNorm);
  EXPECT_EQ(c.mlp, MlpType::GeLU);
  EXPECT_TRUE(c.qkv_bias && c.out_bias && c.mlp_bias);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_FALSE(c.embedding_norm);
}

// Values that used to pass the reader and abort later (RoPE table set-up, a 2^31-wide
// allocation): refused at once, naming the file and the field.
TEST(HfConfig, OutOfRangeValuesAreRefusedBeforeAnyAllocation) {
  TestDir dir;
  const std::string file = dir / "config.json";
  auto llama = [&](const std::string& extra) {
    return read_text_config(dir, R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 10,
      "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 16, )" +
                                     extra + "}");
  };
  expect_error(
      [&] {
        llama(
            R"("hidden_size": 8, "intermediate_size": 16, "rms_norm_eps": 1e-5, "rope_theta": -1)");
      },
      {file, "rope_theta", "-1"});
  expect_error([&] { llama(R"("hidden_size": 8, "intermediate_size": 16, "rms_norm_eps": 2.0)"); },
               {file, "--norm-epsilon", "below 1"});
  expect_error(
      [&] { llama(R"("hidden_size": 8, "intermediate_size": 2147483648, "rms_norm_eps": 1e-5)"); },
      {file, "--ffn-hidden-size", "2147483648", "beyond"});
  expect_error(
      [&] { llama(R"("hidden_size": 2147483648, "intermediate_size": 16, "rms_norm_eps": 1e-5)"); },
      {file, "--hidden-size", "2147483648", "beyond"});
}

TEST(HfConfig, ErrorsNameFileAndField) {
  TestDir dir;
  const std::string file = dir / "config.json";
  expect_error([&] { read_text_config(dir, R"({"architectures": ["MistralForCausalLM"]})"); },
               {file, "MistralForCausalLM"});
  expect_error([&] { read_text_config(dir, R"({"model_type": "llama"})"); },
               {file, "missing field", "vocab_size"});
  expect_error([&] { read_text_config(dir, R"({"hidden_size": 3})"); }, {file, "architectures"});
  expect_error(
      [&] {
        read_text_config(dir, R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 10,
          "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
          "num_attention_heads": 2, "max_position_embeddings": 16})");
      },
      {file, "missing field", "rms_norm_eps"});
  expect_error(
      [&] {
        read_text_config(dir, R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 10,
          "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
          "num_attention_heads": 2, "max_position_embeddings": 16, "rms_norm_eps": 1e-5,
          "rope_scaling": {"type": "linear", "factor": 2.0}})");
      },
      {file, "rope_scaling"});
  expect_error(
      [&] {
        read_text_config(dir, R"({"architectures": ["GPT2LMHeadModel"], "vocab_size": 10,
          "n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 16,
          "layer_norm_epsilon": 1e-5, "activation_function": "relu"})");
      },
      {file, "activation_function", "relu"});
  expect_error(
      [&] {
        read_text_config(dir, R"({"architectures": ["GPT2LMHeadModel"], "vocab_size": 10,
          "n_embd": 8, "n_layer": "two", "n_head": 2, "n_positions": 16,
          "layer_norm_epsilon": 1e-5})");
      },
      {file, "'n_layer'", "integer"});
  expect_error(
      [&] {
        read_text_config(dir, R"({"architectures": ["GPT2LMHeadModel"], "vocab_size": 10,
          "n_embd": 9, "n_layer": 1, "n_head": 2, "n_positions": 16,
          "layer_norm_epsilon": 1e-5})");
      },
      {file, "divisible"});
  expect_error([&] { read_text_config(dir, "{ not json"); }, {file, "bad JSON"});
  expect_error([&] { read_hf_config(dir / "nowhere"); }, {"nowhere", "cannot open"});
}

// The shared tiny model of the family written as `arch`.
ModelConfig tiny(HfArch arch) {
  switch (arch) {
    case HfArch::InternLM:
      return testing::family("internlm");
    case HfArch::Baichuan:
      return testing::family("baichuan7b");
    case HfArch::Bloom:
      return testing::family("bloom");
    case HfArch::GPT2:
      return testing::family("gpt2");
    case HfArch::Llama:
      break;
  }
  return testing::family("llama");
}

TEST(HfConfig, WriteReadRoundTripEveryFamily) {
  std::vector<ModelConfig> cfgs;
  ModelConfig llama = tiny(HfArch::Llama);
  llama.num_query_groups = 2;
  llama.rope_theta = 500000.f;
  llama.norm_eps = 1e-6f;
  cfgs.push_back(llama);
  llama.qkv_bias = llama.out_bias = llama.mlp_bias = llama.tied_embeddings = true;
  cfgs.push_back(llama);
  ModelConfig internlm = tiny(HfArch::InternLM);
  internlm.qkv_bias = internlm.out_bias = true;
  cfgs.push_back(internlm);
  ModelConfig baichuan = tiny(HfArch::Baichuan);
  cfgs.push_back(baichuan);
  baichuan.position = PositionType::Alibi;
  cfgs.push_back(baichuan);
  baichuan.lm_norm_weight = true;
  cfgs.push_back(baichuan);
  cfgs.push_back(tiny(HfArch::Bloom));
  ModelConfig gpt2 = tiny(HfArch::GPT2);
  cfgs.push_back(gpt2);
  gpt2.ffn_hidden_size = 64;  // n_inner
  gpt2.tied_embeddings = false;
  cfgs.push_back(gpt2);

  for (const auto& c : cfgs) {
    SCOPED_TRACE(hf_arch_name(c.hf_arch));
    TestDir dir;
    write_hf_config(dir.str(), c, DType::BF16);
    const auto j = nlohmann::json::parse(read_text(dir / "config.json"));
    EXPECT_EQ(j["architectures"][0], hf_arch_name(c.hf_arch));
    EXPECT_EQ(j["torch_dtype"], "bfloat16");
    expect_same(read_hf_config(dir.str()), c);
  }
}

// Every preset is expressible as its HF architecture and survives config.json.
TEST(HfConfig, EveryPresetRoundTrips) {
  for (const auto& name : model_preset_names()) {
    SCOPED_TRACE(name);
    const ModelConfig c = model_preset(name);
    TestDir dir;
    write_hf_config(dir.str(), c, DType::BF16);
    expect_same(read_hf_config(dir.str()), c);
  }
}

TEST(HfConfig, WrittenKeysAreTheRealOnes) {
  TestDir dir;
  write_hf_config(dir.str(), tiny(HfArch::GPT2), DType::F32);
  auto j = nlohmann::json::parse(read_text(dir / "config.json"));
  EXPECT_EQ(j["model_type"], "gpt2");
  EXPECT_EQ(j["n_embd"], 32);
  EXPECT_EQ(j["n_positions"], 16);
  EXPECT_TRUE(j["n_inner"].is_null());
  EXPECT_EQ(j["activation_function"], "gelu_new");
  EXPECT_EQ(j["layer_norm_epsilon"].get<double>(), 1e-5);  // the decimal, not 9.99999974e-06
  EXPECT_EQ(j["torch_dtype"], "float32");

  write_hf_config(dir.str(), tiny(HfArch::Bloom), DType::F16);
  j = nlohmann::json::parse(read_text(dir / "config.json"));
  EXPECT_EQ(j["model_type"], "bloom");
  EXPECT_EQ(j["n_layer"], 2);
  EXPECT_EQ(j["n_head"], 4);
  EXPECT_EQ(j["hidden_size"], 32);
  EXPECT_EQ(j["torch_dtype"], "float16");

  ModelConfig llama = tiny(HfArch::Llama);
  llama.num_query_groups = 2;
  write_hf_config(dir.str(), llama, DType::BF16);
  j = nlohmann::json::parse(read_text(dir / "config.json"));
  EXPECT_EQ(j["model_type"], "llama");
  EXPECT_EQ(j["num_key_value_heads"], 2);
  EXPECT_EQ(j["intermediate_size"], 48);
  EXPECT_EQ(j["rms_norm_eps"].get<double>(), 1e-5);
}

TEST(HfConfig, WriteRejectsConfigsTheArchitectureCannotHold) {
  TestDir dir;
  ModelConfig bloom = tiny(HfArch::Bloom);
  bloom.norm = NormType::RMSNorm;
  expect_error([&] { write_hf_config(dir.str(), bloom, DType::F32); },
               {"BloomForCausalLM", "LayerNorm"});
  ModelConfig baichuan = tiny(HfArch::Baichuan);
  baichuan.num_query_groups = 2;
  expect_error([&] { write_hf_config(dir.str(), baichuan, DType::F32); },
               {"BaichuanForCausalLM", "GQA"});
  ModelConfig llama = tiny(HfArch::Llama);
  llama.position = PositionType::Alibi;
  expect_error([&] { write_hf_config(dir.str(), llama, DType::F32); }, {"LlamaForCausalLM"});
}

}  // namespace
}  // namespace ascent
