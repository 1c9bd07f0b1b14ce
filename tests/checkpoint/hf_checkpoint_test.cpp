#include "checkpoint/hf_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>

#include "checkpoint/safetensors.h"
#include "checkpoint/test_dir.h"
#include "checkpoint/tiny_families.h"

namespace ascent {

// Readable parameter values in test names and failure messages.
void PrintTo(DType t, std::ostream* os) { *os << dtype_name(t); }

namespace {

using ascent::testing::expect_error;
using ascent::testing::TestDir;
using ascent::testing::write_text;
namespace fs = std::filesystem;
namespace st = safetensors;
using testing::family;

// ---------------------------------------------------------------------------------------------
// The HF side, written from the HF modelling code rather than from src/checkpoint.

struct Spec {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<Spec> hf_specs(const ModelConfig& c) {
  const int64_t C = c.hidden_size, F = c.ffn_hidden_size, V = c.vocab_size;
  const int64_t KV = c.num_query_groups * c.head_size();
  std::vector<Spec> s;
  auto add = [&](const std::string& n, std::vector<int64_t> shape) { s.push_back({n, shape}); };
  auto wb = [&](const std::string& n, std::vector<int64_t> shape) {
    add(n + ".weight", shape);
    add(n + ".bias", {shape[0]});
  };
  const std::string T = "transformer.";
  switch (c.hf_arch) {
    case HfArch::Llama:
    case HfArch::InternLM:
    case HfArch::Baichuan:
      add("model.embed_tokens.weight", {V, C});
      for (int64_t i = 0; i < c.num_layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        add(p + "input_layernorm.weight", {C});
        if (c.hf_arch == HfArch::Baichuan) {
          add(p + "self_attn.W_pack.weight", {3 * C, C});
        } else {
          add(p + "self_attn.q_proj.weight", {C, C});
          add(p + "self_attn.k_proj.weight", {KV, C});
          add(p + "self_attn.v_proj.weight", {KV, C});
        }
        if (c.qkv_bias) {
          add(p + "self_attn.q_proj.bias", {C});
          add(p + "self_attn.k_proj.bias", {KV});
          add(p + "self_attn.v_proj.bias", {KV});
        }
        add(p + "self_attn.o_proj.weight", {C, C});
        if (c.out_bias) add(p + "self_attn.o_proj.bias", {C});
        add(p + "post_attention_layernorm.weight", {C});
        add(p + "mlp.gate_proj.weight", {F, C});
        add(p + "mlp.up_proj.weight", {F, C});
        add(p + "mlp.down_proj.weight", {C, F});
      }
      add("model.norm.weight", {C});
      break;
    case HfArch::Bloom:
      add(T + "word_embeddings.weight", {V, C});
      wb(T + "word_embeddings_layernorm", {C});
      for (int64_t i = 0; i < c.num_layers; ++i) {
        const std::string h = T + "h." + std::to_string(i) + ".";
        wb(h + "input_layernorm", {C});
        wb(h + "self_attention.query_key_value", {3 * C, C});
        wb(h + "self_attention.dense", {C, C});
        wb(h + "post_attention_layernorm", {C});
        wb(h + "mlp.dense_h_to_4h", {F, C});
        wb(h + "mlp.dense_4h_to_h", {C, F});
      }
      wb(T + "ln_f", {C});
      break;
    case HfArch::GPT2:
      add(T + "wte.weight", {V, C});
      add(T + "wpe.weight", {c.max_position_embeddings, C});
      for (int64_t i = 0; i < c.num_layers; ++i) {
        const std::string h = T + "h." + std::to_string(i) + ".";
        wb(h + "ln_1", {C});
        add(h + "attn.c_attn.weight", {C, 3 * C});  // Conv1D: [in, out]
        add(h + "attn.c_attn.bias", {3 * C});
        add(h + "attn.c_proj.weight", {C, C});
        add(h + "attn.c_proj.bias", {C});
        wb(h + "ln_2", {C});
        add(h + "mlp.c_fc.weight", {C, F});
        add(h + "mlp.c_fc.bias", {F});
        add(h + "mlp.c_proj.weight", {F, C});
        add(h + "mlp.c_proj.bias", {C});
      }
      wb(T + "ln_f", {C});
      break;
  }
  if (!c.tied_embeddings) add("lm_head.weight", {V, C});
  return s;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t i = s.find(from);
  return i == std::string::npos ? s : s.replace(i, from.size(), to);
}

// Where element (r, k) of our parameter `ours` ([R, K], or [R] with K = 1) lives on the HF side.
struct Loc {
  std::string name;
  int64_t index;
};

Loc hf_loc(const ModelConfig& c, const std::string& ours, int64_t r, int64_t k, int64_t R,
           int64_t K) {
  const int64_t C = c.hidden_size, HS = c.head_size();
  int j = -1;  // q, k, v
  for (int p = 0; p < 3; ++p)
    if (ours.find(std::string("self_attn.") + "qkv"[p] + "_proj") != std::string::npos) j = p;
  const bool weight = ours.ends_with(".weight");
  const std::string qkv = j < 0 ? "" : std::string("self_attn.") + "qkv"[j] + "_proj";
  std::string n = ours;
  switch (c.hf_arch) {
    case HfArch::Llama:
    case HfArch::InternLM:
      return {ours, r * K + k};
    case HfArch::Baichuan:
      if (j >= 0 && weight) return {replace(ours, qkv, "self_attn.W_pack"), (j * C + r) * C + k};
      return {ours, r * K + k};
    case HfArch::Bloom:
      for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
               {"model.embed_tokens.", "transformer.word_embeddings."},
               {"model.embed_layernorm.", "transformer.word_embeddings_layernorm."},
               {"model.norm.", "transformer.ln_f."},
               {"model.layers.", "transformer.h."},
               {"self_attn.o_proj.", "self_attention.dense."},
               {"mlp.up_proj.", "mlp.dense_h_to_4h."},
               {"mlp.down_proj.", "mlp.dense_4h_to_h."}})
        n = replace(n, from, to);
      if (j >= 0) {  // rows [NH, 3, HS]
        const int64_t row = (r / HS * 3 + j) * HS + r % HS;
        return {replace(n, qkv, "self_attention.query_key_value"), row * K + k};
      }
      return {n, r * K + k};
    case HfArch::GPT2:
      for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
               {"model.embed_tokens.", "transformer.wte."},
               {"model.embed_positions.", "transformer.wpe."},
               {"model.norm.", "transformer.ln_f."},
               {"model.layers.", "transformer.h."},
               {"input_layernorm.", "ln_1."},
               {"post_attention_layernorm.", "ln_2."},
               {"self_attn.o_proj.", "attn.c_proj."},
               {"mlp.up_proj.", "mlp.c_fc."},
               {"mlp.down_proj.", "mlp.c_proj."}})
        n = replace(n, from, to);
      if (j >= 0) {  // c_attn output columns q | k | v, stored [in, out]
        n = replace(n, qkv, "attn.c_attn");
        return {n, weight ? k * 3 * C + j * C + r : j * C + r};
      }
      if (n.starts_with("transformer.h.") && weight && K > 1) return {n, k * R + r};  // Conv1D
      return {n, r * K + k};
  }
  return {ours, -1};
}

// Random HF tensors whose values are exact in dtype.
struct HfData {
  std::map<std::string, std::vector<float>> values;
  std::map<std::string, std::vector<uint8_t>> bytes;
};

HfData random_tensors(const std::vector<Spec>& specs, DType dtype, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  HfData d;
  for (const auto& s : specs) {
    int64_t n = 1;
    for (int64_t x : s.shape) n *= x;
    std::vector<float> v(n);
    std::vector<uint8_t> b(n * dtype_size(dtype));
    for (int64_t i = 0; i < n; ++i) {
      float x = normal(rng);
      if (dtype == DType::BF16) {
        const uint16_t h = f32_to_bf16(x);
        x = bf16_to_f32(h);
        std::memcpy(b.data() + 2 * i, &h, 2);
      } else if (dtype == DType::F16) {
        const uint16_t h = f32_to_f16(x * (i % 7 == 0 ? 1e-6f : 1.f));  // some subnormals
        x = f16_to_f32(h);
        std::memcpy(b.data() + 2 * i, &h, 2);
      } else {
        std::memcpy(b.data() + 4 * i, &x, 4);
      }
      v[i] = x;
    }
    d.values[s.name] = std::move(v);
    d.bytes[s.name] = std::move(b);
  }
  return d;
}

// Writes specs' data into dir (single file, or shards of max_shard bytes) plus `extra` tensors;
// with strip, Bloom / GPT-2 names lose "transformer." as in checkpoints of the base model.
void write_hf(const std::string& dir, const std::vector<Spec>& specs, const HfData& d, DType dtype,
              bool strip, size_t max_shard = 0, const std::vector<st::TensorRef>& extra = {}) {
  std::vector<st::TensorRef> refs;
  for (const auto& s : specs) {
    const std::string name = strip ? replace(s.name, "transformer.", "") : s.name;
    refs.push_back({name, st::from_dtype(dtype), s.shape, d.bytes.at(s.name).data()});
  }
  refs.insert(refs.end(), extra.begin(), extra.end());
  st::write_sharded(dir, refs, max_shard, {{"format", "pt"}});
}

// Every element of every parameter equals its HF counterpart; returns the mismatch count.
int64_t count_import_mismatches(const ModelConfig& c, const ParamLayout& layout,
                                const std::vector<float>& flat, const HfData& d) {
  int64_t bad = 0;
  for (const auto& s : layout.specs()) {
    const int64_t R = s.shape[0], K = s.shape.size() == 2 ? s.shape[1] : 1;
    for (int64_t r = 0; r < R; ++r) {
      for (int64_t k = 0; k < K; ++k) {
        const Loc loc = hf_loc(c, s.name, r, k, R, K);
        auto it = d.values.find(loc.name);
        const float got = flat[s.offset + r * K + k];
        if (it == d.values.end() || std::memcmp(&it->second.at(loc.index), &got, 4) != 0) {
          if (bad++ < 3) ADD_FAILURE() << s.name << "[" << r << ", " << k << "] vs " << loc.name;
        }
      }
    }
  }
  return bad;
}

int count_shards(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().starts_with("model-");
  return n;
}

// ---------------------------------------------------------------------------------------------

const char* kFamilies[] = {"llama_gqa", "llama_tied", "internlm", "baichuan7b", "baichuan13b",
                           "baichuan2", "bloom",      "gpt2",     "gpt2_untied"};

class HfRoundTrip : public ::testing::TestWithParam<std::tuple<const char*, DType>> {};

TEST_P(HfRoundTrip, LoadThenSaveIsBitIdentical) {
  const auto [name, dtype] = GetParam();
  const ModelConfig cfg = family(name);
  TestDir dir;
  const std::string in = dir / "in", out = dir / "out";
  const auto specs = hf_specs(cfg);
  const HfData data = random_tensors(specs, dtype, 1234);

  // Buffers some real checkpoints carry, which import skips.
  const float inv_freq[4] = {1, 2, 3, 4};
  const std::vector<float> causal(cfg.max_position_embeddings * cfg.max_position_embeddings, 1.f);
  std::vector<st::TensorRef> extra;
  const bool prefixed = cfg.hf_arch == HfArch::Bloom || cfg.hf_arch == HfArch::GPT2;
  if (!prefixed) {
    extra.push_back(
        {"model.layers.0.self_attn.rotary_emb.inv_freq", st::Dtype::F32, {4}, inv_freq});
  }
  if (cfg.hf_arch == HfArch::GPT2) {
    const int64_t P = cfg.max_position_embeddings;
    extra.push_back({"h.1.attn.bias", st::Dtype::F32, {1, 1, P, P}, causal.data()});
    extra.push_back({"h.1.attn.masked_bias", st::Dtype::F32, {}, causal.data()});
  }
  if (cfg.tied_embeddings) {
    const auto& emb = specs.front();
    extra.push_back(
        {"lm_head.weight", st::from_dtype(dtype), emb.shape, data.bytes.at(emb.name).data()});
  }
  write_hf(in, specs, data, dtype, /*strip=*/prefixed, 0, extra);
  write_hf_config(in, cfg, dtype);

  const ModelConfig got = read_hf_config(in);
  EXPECT_EQ(got.hf_arch, cfg.hf_arch);
  EXPECT_EQ(got.position, cfg.position);
  EXPECT_EQ(got.lm_norm_weight, cfg.lm_norm_weight);
  EXPECT_EQ(got.num_query_groups, cfg.num_query_groups);
  const ParamLayout layout(got);
  std::vector<float> flat(layout.total(), std::nanf(""));
  EXPECT_EQ(load_hf_weights(in, got, layout, flat.data()), dtype);
  EXPECT_EQ(count_import_mismatches(got, layout, flat, data), 0);

  save_hf(out, got, layout, flat.data(), dtype);
  EXPECT_FALSE(fs::exists(out + "/model.safetensors.index.json"));
  st::Reader r(out + "/model.safetensors");
  EXPECT_EQ(r.metadata().at("format"), "pt");
  EXPECT_EQ(r.tensors().size(), specs.size());
  for (const auto& s : specs) {
    const st::TensorInfo* t = r.find(s.name);
    ASSERT_NE(t, nullptr) << s.name;
    EXPECT_EQ(t->dtype, st::from_dtype(dtype)) << s.name;
    EXPECT_EQ(t->shape, s.shape) << s.name;
    const auto& want = data.bytes.at(s.name);
    ASSERT_EQ(t->nbytes(), want.size()) << s.name;
    EXPECT_EQ(std::memcmp(r.data(*t), want.data(), want.size()), 0) << s.name << " differs";
  }
  const ModelConfig again = read_hf_config(out);
  EXPECT_EQ(again.hf_arch, cfg.hf_arch);
  EXPECT_EQ(again.position, cfg.position);
  EXPECT_EQ(again.lm_norm_weight, cfg.lm_norm_weight);
}

std::string dtype_label(DType t) { return dtype_name(t); }

INSTANTIATE_TEST_SUITE_P(Families, HfRoundTrip,
                         ::testing::Combine(::testing::ValuesIn(kFamilies),
                                            ::testing::Values(DType::F32, DType::BF16, DType::F16)),
                         [](const ::testing::TestParamInfo<HfRoundTrip::ParamType>& info) {
                           return std::string(std::get<0>(info.param)) + "_" +
                                  dtype_label(std::get<1>(info.param));
                         });

// Export works on any flat buffer (gradients too): every element lands where HF keeps it.
TEST(HfExport, ElementsLandWhereHfKeepsThem) {
  for (const char* name : kFamilies) {
    SCOPED_TRACE(name);
    const ModelConfig cfg = family(name);
    const ParamLayout layout(cfg);
    std::vector<float> grad(layout.total());
    for (size_t i = 0; i < grad.size(); ++i) grad[i] = static_cast<float>(i) * 0.5f - 7.f;
    const auto tensors = export_hf_tensors(cfg, layout, grad.data(), DType::F32);
    const auto specs = hf_specs(cfg);
    ASSERT_EQ(tensors.size(), specs.size());
    HfData d;
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& t : tensors) {
      std::vector<float> v(t.bytes.size() / 4);
      std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
      d.values[t.name] = std::move(v);
      shapes[t.name] = t.shape;
    }
    for (const auto& s : specs) EXPECT_EQ(shapes[s.name], s.shape) << s.name;
    EXPECT_EQ(count_import_mismatches(cfg, layout, grad, d), 0);
  }
}

TEST(HfCheckpoint, ShardedReadAndWrite) {
  const ModelConfig cfg = family("llama_gqa");
  TestDir dir;
  const auto specs = hf_specs(cfg);
  const HfData data = random_tensors(specs, DType::BF16, 7);
  write_hf(dir / "in", specs, data, DType::BF16, false, /*max_shard=*/3000);
  write_hf_config(dir / "in", cfg, DType::BF16);
  ASSERT_TRUE(fs::exists(dir / "in/model.safetensors.index.json"));

  const ParamLayout layout(cfg);
  std::vector<float> flat(layout.total()), again(layout.total());
  EXPECT_EQ(load_hf_weights(dir / "in", cfg, layout, flat.data()), DType::BF16);
  EXPECT_EQ(count_import_mismatches(cfg, layout, flat, data), 0);

  save_hf(dir / "out", cfg, layout, flat.data(), DType::BF16, /*max_shard_bytes=*/2500);
  EXPECT_TRUE(fs::exists(dir / "out/model.safetensors.index.json"));
  EXPECT_GT(count_shards(dir / "out"), 2);
  EXPECT_FALSE(fs::exists(dir / "out/model.safetensors"));
  EXPECT_EQ(load_hf_weights(dir / "out", cfg, layout, again.data()), DType::BF16);
  for (const auto& s : layout.specs())
    EXPECT_EQ(std::memcmp(&flat[s.offset], &again[s.offset], 4 * s.numel), 0) << s.name;
}

TEST(HfCheckpoint, SaveIntoExistingDirKeepsOtherFiles) {
  const ModelConfig cfg = family("gpt2");
  TestDir dir;
  const ParamLayout layout(cfg);
  std::vector<float> flat(layout.total(), 0.25f);
  const std::string out = dir / "model";
  save_hf(out, cfg, layout, flat.data(), DType::F32);
  EXPECT_TRUE(fs::exists(out + "/model.safetensors"));
  EXPECT_TRUE(fs::exists(out + "/config.json"));
  // Nothing but the model itself next to it (the temporary dir is gone).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.str()), fs::directory_iterator()), 1);

  write_text(out + "/tokenizer.json", "{}");
  save_hf(out, cfg, layout, flat.data(), DType::F32, /*max_shard_bytes=*/10000);
  EXPECT_TRUE(fs::exists(out + "/tokenizer.json"));
  EXPECT_FALSE(fs::exists(out + "/model.safetensors"));  // stale single file removed
  EXPECT_TRUE(fs::exists(out + "/model.safetensors.index.json"));
  EXPECT_GT(count_shards(out), 1);
  std::vector<float> back(layout.total());
  load_hf_weights(out, cfg, layout, back.data());
  EXPECT_EQ(back[layout.specs().back().offset], 0.25f);

  save_hf(out, cfg, layout, flat.data(), DType::F32);
  EXPECT_TRUE(fs::exists(out + "/model.safetensors"));
  EXPECT_FALSE(fs::exists(out + "/model.safetensors.index.json"));
  EXPECT_EQ(count_shards(out), 0);
  EXPECT_TRUE(fs::exists(out + "/tokenizer.json"));
}

class HfErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg = family("llama_gqa");
    specs = hf_specs(cfg);
    data = random_tensors(specs, DType::F32, 3);
  }
  // Writes the model with `specs` edited by the caller, then loads it.
  void load(const std::vector<Spec>& edited, const std::vector<st::TensorRef>& extra = {}) {
    write_hf(dir / "m", edited, data, DType::F32, false, 0, extra);
    const ParamLayout layout(cfg);
    std::vector<float> flat(layout.total());
    load_hf_weights(dir / "m", cfg, layout, flat.data());
  }
  ModelConfig cfg;
  std::vector<Spec> specs;
  HfData data;
  TestDir dir;
};

TEST_F(HfErrors, MissingTensor) {
  auto edited = specs;
  std::erase_if(edited,
                [](const Spec& s) { return s.name == "model.layers.1.mlp.up_proj.weight"; });
  expect_error(
      [&] { load(edited); },
      {"model.safetensors", "missing tensor 'model.layers.1.mlp.up_proj.weight'", "[48, 32]"});
}

TEST_F(HfErrors, WrongShape) {
  auto edited = specs;
  for (auto& s : edited)
    if (s.name == "model.layers.0.self_attn.k_proj.weight") s.shape = {8, 32};
  expect_error([&] { load(edited); },
               {"model.safetensors", "'model.layers.0.self_attn.k_proj.weight'",
                "shape [8, 32], expected [16, 32]"});
}

TEST_F(HfErrors, UnexpectedTensor) {
  const float x[2] = {1, 2};
  expect_error(
      [&] {
        load(specs, {{"model.layers.0.self_attn.extra", st::Dtype::F32, {2}, x}});
      },
      {"model.safetensors", "unexpected tensor 'model.layers.0.self_attn.extra'"});
  // A tied model's lm_head is ignorable, an untied one's is required.
  expect_error(
      [&] {
        load(specs, {{"lm_head.bias", st::Dtype::F32, {2}, x}});
      },
      {"unexpected tensor 'lm_head.bias'"});
}

TEST_F(HfErrors, UnsupportedDtype) {
  auto edited = specs;
  std::erase_if(edited, [](const Spec& s) { return s.name == "model.norm.weight"; });
  const std::vector<int32_t> norm(32, 1);
  expect_error(
      [&] {
        load(edited, {{"model.norm.weight", st::Dtype::I32, {32}, norm.data()}});
      },
      {"'model.norm.weight'", "I32"});
}

TEST_F(HfErrors, ConfigDisagreesWithWeights) {
  write_hf(dir / "m", specs, data, DType::F32, false);
  ModelConfig deeper = cfg;
  deeper.num_layers = 3;
  const ParamLayout layout(deeper);
  std::vector<float> flat(layout.total());
  expect_error([&] { load_hf_weights(dir / "m", deeper, layout, flat.data()); },
               {"missing tensor 'model.layers.2.input_layernorm.weight'"});
  ModelConfig shallower = cfg;
  shallower.num_layers = 1;
  const ParamLayout small(shallower);
  expect_error([&] { load_hf_weights(dir / "m", shallower, small, flat.data()); },
               {"unexpected tensor 'model.layers.1."});
}

TEST(HfCheckpointErrors, BothPrefixedAndBareNames) {
  const ModelConfig cfg = family("bloom");
  TestDir dir;
  const auto specs = hf_specs(cfg);
  const HfData data = random_tensors(specs, DType::F32, 5);
  const auto& emb = specs.front();
  write_hf(dir.str(), specs, data, DType::F32, false, 0,
           {{"word_embeddings.weight", st::Dtype::F32, emb.shape, data.bytes.at(emb.name).data()}});
  const ParamLayout layout(cfg);
  std::vector<float> flat(layout.total());
  expect_error([&] { load_hf_weights(dir.str(), cfg, layout, flat.data()); },
               {"'word_embeddings.weight'", "with and without"});
}

}  // namespace
}  // namespace ascent
