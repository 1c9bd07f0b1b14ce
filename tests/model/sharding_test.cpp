// Sharded parameter layouts: Megatron's TP splits and PP stage ranges, their errors, and that
// every shard initialises to exactly its slice of the unsharded model.
#include "model/sharding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/params.h"
#include "model/shard_copy.h"
#include "model/weights.h"
#include "support/test_dir.h"

namespace ascent {
namespace {

using testing::expect_error;

const std::vector<std::string> kTiny = {"tiny-llama", "tiny-gqa", "tiny-bloom", "tiny-gpt2",
                                        "tiny-baichuan2"};

bool tp_fits(const ModelConfig& c, int tp) {
  return c.num_attention_heads % tp == 0 && c.num_query_groups % tp == 0 &&
         c.ffn_hidden_size % tp == 0;
}

// Even split when L divides, else an uneven manual one (first stages get the remainder).
ModelParallelConfig mp_config(const ModelConfig& c, int tp, int pp) {
  ModelParallelConfig mp;
  mp.tensor_model_parallel_size = tp;
  mp.pipeline_model_parallel_size = pp;
  if (c.num_layers % pp != 0)
    for (int p = 0; p < pp; ++p)
      mp.manual_layers.push_back(c.num_layers / pp + (p < c.num_layers % pp ? 1 : 0));
  return mp;
}

std::vector<int64_t> v(std::initializer_list<int64_t> x) { return x; }

TEST(Sharding, TinyGqaTp2HandComputed) {
  // tiny-gqa: C 64, F 176, L 4, NH 4, KVH 2 (HS 16), V 512, RMSNorm, SwiGLU, untied.
  const ModelConfig cfg = model_preset("tiny-gqa");
  ModelParallelConfig mp;
  mp.tensor_model_parallel_size = 2;
  const ParamLayout l(cfg, mp.shard(cfg, 1, 0));
  auto spec = [&](const std::string& n) {
    const ParamSpec* s = l.find(n);
    EXPECT_TRUE(s) << n;
    return *s;
  };
  const std::string p = "model.layers.2.";
  struct Want {
    std::string name;
    std::vector<int64_t> shape, global;
    int split;
    int64_t offset;
  };
  const std::vector<Want> want = {
      {"model.embed_tokens.weight", {256, 64}, {512, 64}, 0, 256},
      {p + "input_layernorm.weight", {64}, {64}, -1, 0},
      {p + "self_attn.q_proj.weight", {32, 64}, {64, 64}, 0, 32},  // heads 2, 3
      {p + "self_attn.k_proj.weight", {16, 64}, {32, 64}, 0, 16},  // KV group 1
      {p + "self_attn.v_proj.weight", {16, 64}, {32, 64}, 0, 16},
      {p + "self_attn.o_proj.weight", {64, 32}, {64, 64}, 1, 32},
      {p + "mlp.gate_proj.weight", {88, 64}, {176, 64}, 0, 88},
      {p + "mlp.up_proj.weight", {88, 64}, {176, 64}, 0, 88},
      {p + "mlp.down_proj.weight", {64, 88}, {64, 176}, 1, 88},
      {"model.norm.weight", {64}, {64}, -1, 0},
      {"lm_head.weight", {256, 64}, {512, 64}, 0, 256},
  };
  for (const Want& w : want) {
    const ParamSpec s = spec(w.name);
    EXPECT_EQ(s.shape, w.shape) << w.name;
    EXPECT_EQ(s.global_shape, w.global) << w.name;
    EXPECT_EQ(s.split_dim, w.split) << w.name;
    EXPECT_EQ(s.split_offset, w.offset) << w.name;
  }
  EXPECT_EQ(spec(p + "self_attn.q_proj.weight").layer, 2);
  EXPECT_EQ(spec("lm_head.weight").layer, -1);
  // Flat offsets: embedding, then per layer norm | q k v | o | norm | gate up | down.
  EXPECT_EQ(spec("model.embed_tokens.weight").offset, 0);
  EXPECT_EQ(spec("model.layers.0.input_layernorm.weight").offset, 16384);
  EXPECT_EQ(spec("model.layers.0.self_attn.q_proj.weight").offset, 16448);
  EXPECT_EQ(spec("model.layers.0.self_attn.k_proj.weight").offset, 16448 + 2048);
  EXPECT_EQ(spec("model.layers.0.self_attn.v_proj.weight").offset, 16448 + 3072);
  EXPECT_EQ(spec("model.layers.0.self_attn.o_proj.weight").offset, 16448 + 4096);
  EXPECT_EQ(spec("model.layers.0.mlp.gate_proj.weight").offset, 16448 + 4096 + 2048 + 64);
  EXPECT_EQ(spec("model.layers.0.mlp.up_proj.weight").offset, 16448 + 4096 + 2048 + 64 + 5632);
  // Global index = position in the unsharded layout (embed 0, then 9 tensors per layer).
  EXPECT_EQ(spec("model.layers.2.self_attn.q_proj.weight").global_index, 1 + 2 * 9 + 1);
  EXPECT_EQ(spec("lm_head.weight").global_index, 1 + 4 * 9 + 1);
  // Fused views span the local rows.
  std::vector<float> flat(static_cast<size_t>(l.total()));
  const ModelParams m = bind_params(cfg, l, flat.data(), DType::F32);
  ASSERT_EQ(m.blocks.size(), 4u);
  EXPECT_EQ(m.blocks[2].layer, 2);
  EXPECT_EQ(m.blocks[2].wqkv.shape_str(), "[64, 64]");  // (2 + 2 * 1) heads x 16
  EXPECT_EQ(m.blocks[2].w_in.shape_str(), "[176, 64]");
  EXPECT_EQ(m.blocks[2].wo.shape_str(), "[64, 32]");
  EXPECT_EQ(m.blocks[2].w_out.shape_str(), "[64, 88]");
  EXPECT_EQ(m.wte.shape_str(), "[256, 64]");
  EXPECT_EQ(l.vocab_start(), 256);
  EXPECT_EQ(l.vocab_rows(), 256);
}

TEST(Sharding, DefaultLayoutIsUnchanged) {
  for (const std::string& name : kTiny) {
    const ModelConfig cfg = model_preset(name);
    const ParamLayout l(cfg);
    int64_t i = 0;
    for (const ParamSpec& s : l.specs()) {
      EXPECT_EQ(s.shape, s.global_shape) << s.name;
      EXPECT_EQ(s.split_offset, 0) << s.name;
      EXPECT_EQ(s.global_index, i++) << s.name;
      EXPECT_TRUE(s.is_whole()) << s.name;
    }
    EXPECT_TRUE(l.shard().is_whole(cfg));
    EXPECT_EQ(l.layers().size(), static_cast<size_t>(cfg.num_layers));
  }
}

// For every family and TP x PP: shards tile every tensor, the tied copy sits on the last stage,
// q/k/v and gate/up stay adjacent, everything else is 32-element aligned.
TEST(Sharding, ShardsTileTheModel) {
  for (const std::string& name : kTiny) {
    const ModelConfig cfg = model_preset(name);
    const ParamLayout whole(cfg);
    for (int tp : {1, 2, 3, 4}) {
      if (!tp_fits(cfg, tp)) continue;
      for (int pp : {1, 2, 3}) {
        SCOPED_TRACE(name + " tp " + std::to_string(tp) + " pp " + std::to_string(pp));
        const ModelParallelConfig mp = mp_config(cfg, tp, pp);
        std::map<std::string, std::map<int64_t, int64_t>> pieces;  // name -> offset -> extent
        std::map<std::string, int> holders;
        for (int s = 0; s < pp; ++s) {
          for (int r = 0; r < tp; ++r) {
            const ParamLayout l(cfg, mp.shard(cfg, r, s));
            for (const ParamSpec& p : l.specs()) {
              ++holders[p.name];
              if (p.split_dim >= 0) pieces[p.name][p.split_offset] = p.shape[p.split_dim];
              if (p.offset % 32 != 0) {
                const bool fused_member =
                    p.name.ends_with("k_proj.weight") || p.name.ends_with("v_proj.weight") ||
                    p.name.ends_with("k_proj.bias") || p.name.ends_with("v_proj.bias") ||
                    p.name.ends_with("up_proj.weight") || p.name.ends_with("up_proj.bias");
                EXPECT_TRUE(fused_member) << p.name << " at " << p.offset;
              }
            }
          }
        }
        for (const ParamSpec& g : whole.specs()) {
          int want = tp;  // every TP rank of the holding stage
          if (g.name == "model.embed_tokens.weight" && cfg.tied_embeddings && pp > 1) want = 2 * tp;
          EXPECT_EQ(holders[g.name], want) << g.name;
          if (g.split_dim < 0) continue;
          int64_t next = 0;
          for (const auto& [off, ext] : pieces[g.name]) {
            EXPECT_EQ(off, next) << g.name;
            next = off + ext;
          }
          const int64_t extent = g.global_shape[g.split_dim];
          if (g.name.find("embed_tokens") != std::string::npos || g.name == "lm_head.weight") {
            EXPECT_EQ(next, cfg.padded_vocab_size(tp)) << g.name;
          } else {
            EXPECT_EQ(next, extent) << g.name;
          }
        }
        EXPECT_EQ(holders.size(), whole.specs().size());
      }
    }
  }
}

TEST(Sharding, PipelineSplits) {
  ModelConfig cfg = model_preset("tiny-llama");  // 6 layers
  ModelParallelConfig mp;
  mp.pipeline_model_parallel_size = 3;
  EXPECT_EQ(mp.stage_layers(cfg, 0), (LayerRange{0, 2}));
  EXPECT_EQ(mp.stage_layers(cfg, 2), (LayerRange{4, 6}));
  mp.manual_layers = parse_manual_layers("1,3,2");
  EXPECT_EQ(mp.stage_layers(cfg, 1), (LayerRange{1, 4}));
  EXPECT_EQ(mp.stage_layers(cfg, 2), (LayerRange{4, 6}));
  const ShardSpec last = mp.shard(cfg, 0, 2);
  EXPECT_FALSE(last.has_embedding);
  EXPECT_TRUE(last.has_head);
  const ParamLayout l(cfg, last);
  EXPECT_EQ(l.layers(), v({4, 5}));
  EXPECT_TRUE(l.find("model.layers.4.self_attn.q_proj.weight"));
  EXPECT_FALSE(l.find("model.layers.3.self_attn.q_proj.weight"));
  EXPECT_FALSE(l.find("model.embed_tokens.weight"));
  EXPECT_TRUE(l.find("lm_head.weight"));

  // Interleaved: 8 layers, 2 stages, chunks of 2: stage 0 holds 0-1 and 4-5, stage 1 2-3 and 6-7.
  cfg.num_layers = 8;
  ModelParallelConfig iv;
  iv.pipeline_model_parallel_size = 2;
  iv.num_layers_per_virtual_pipeline_stage = 2;
  EXPECT_EQ(iv.virtual_stages(cfg), 2);
  const ShardSpec s0 = iv.shard(cfg, 0, 0), s1 = iv.shard(cfg, 0, 1);
  EXPECT_EQ(s0.layers, (std::vector<LayerRange>{{0, 2}, {4, 6}}));
  EXPECT_EQ(s1.layers, (std::vector<LayerRange>{{2, 4}, {6, 8}}));
  EXPECT_EQ(ParamLayout(cfg, s1).layers(), v({2, 3, 6, 7}));
  const ShardSpec c1 = iv.chunk_shard(cfg, 0, 1, 1);
  EXPECT_EQ(c1.layers, (std::vector<LayerRange>{{6, 8}}));
  EXPECT_TRUE(c1.has_head);
  EXPECT_FALSE(iv.chunk_shard(cfg, 0, 1, 0).has_head);
  EXPECT_TRUE(iv.chunk_shard(cfg, 0, 0, 0).has_embedding);
  EXPECT_FALSE(iv.chunk_shard(cfg, 0, 0, 1).has_embedding);
}

TEST(Sharding, TiedEmbeddingCopyOnLastStage) {
  const ModelConfig cfg = model_preset("tiny-bloom");  // tied, embedding LayerNorm
  ModelParallelConfig mp;
  mp.tensor_model_parallel_size = 2;
  mp.pipeline_model_parallel_size = 2;
  const ParamLayout first(cfg, mp.shard(cfg, 1, 0)), last(cfg, mp.shard(cfg, 1, 1));
  EXPECT_TRUE(first.find("model.embed_layernorm.weight"));
  EXPECT_FALSE(last.find("model.embed_layernorm.weight"));
  const ParamSpec* copy = last.find("model.embed_tokens.weight");
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->global_index, 0);
  EXPECT_EQ(copy->split_offset, first.find("model.embed_tokens.weight")->split_offset);
  EXPECT_EQ(&last.specs().back(), copy);  // where lm_head would be
  std::vector<float> flat(static_cast<size_t>(last.total()));
  const ModelParams m = bind_params(cfg, last, flat.data(), DType::F32);
  EXPECT_FALSE(m.wte.defined());
  EXPECT_TRUE(m.lm_head.defined());
  EXPECT_EQ(m.lm_head.data(), flat.data() + copy->offset);
  EXPECT_TRUE(last.shard().holds_word_embeddings(cfg));
}

TEST(Sharding, VocabularyPadding) {
  ModelConfig cfg = model_preset("tiny-gqa");
  cfg.vocab_size = 500;
  EXPECT_EQ(cfg.padded_vocab_size(), 500);
  EXPECT_EQ(cfg.padded_vocab_size(3), 501);
  cfg.make_vocab_size_divisible_by = 128;
  EXPECT_EQ(cfg.padded_vocab_size(), 512);
  EXPECT_EQ(cfg.padded_vocab_size(2), 512);
  EXPECT_EQ(cfg.padded_vocab_size(4), 512);
  EXPECT_EQ(cfg.padded_vocab_size(8), 1024);
  ModelParallelConfig mp;
  mp.tensor_model_parallel_size = 2;
  const ParamLayout l(cfg, mp.shard(cfg, 1, 0));
  const ParamSpec* s = l.find("model.embed_tokens.weight");
  EXPECT_EQ(s->shape, v({256, 64}));
  EXPECT_EQ(s->global_shape, v({500, 64}));
  EXPECT_EQ(s->valid_extent(), 244);
  EXPECT_FALSE(s->is_whole());
  // One process with padding: whole, but 12 padding rows; counted parameters exclude them.
  const ParamLayout one(cfg);
  EXPECT_TRUE(one.find("lm_head.weight")->is_whole());
  EXPECT_EQ(one.find("lm_head.weight")->shape, v({512, 64}));
  ModelConfig plain = cfg;
  plain.make_vocab_size_divisible_by = 1;
  EXPECT_EQ(cfg.num_params(), plain.num_params());
}

TEST(Sharding, InvalidLayoutsNameTheFlag) {
  const ModelConfig llama = model_preset("tiny-llama");  // NH 6, F 768, L 6
  const ModelConfig gqa = model_preset("tiny-gqa");      // NH 4, KVH 2, F 176, L 4
  ModelParallelConfig mp;
  mp.tensor_model_parallel_size = 4;
  expect_error([&] { mp.validate(llama); },
               {"--num-attention-heads 6", "--tensor-model-parallel-size 4"});
  expect_error([&] { ParamLayout(gqa, mp.shard(gqa, 0, 0)); }, {"--num-query-groups 2"});
  ShardSpec bad;
  bad.tp_size = 3;
  expect_error([&] { ParamLayout(gqa, bad); }, {"--num-attention-heads 4", "3"});
  ModelConfig f = gqa;
  f.ffn_hidden_size = 170;
  bad.tp_size = 4;
  f.num_query_groups = 4;
  expect_error([&] { ParamLayout(f, bad); }, {"--ffn-hidden-size 170"});

  ModelParallelConfig pp;
  pp.pipeline_model_parallel_size = 3;
  expect_error([&] { pp.validate(gqa); }, {"--num-layers 4", "--manual-layers"});
  pp.manual_layers = {1, 1, 1};
  expect_error([&] { pp.validate(gqa); }, {"--manual-layers sums to 3", "--num-layers 4"});
  pp.manual_layers = {2, 2};
  expect_error([&] { pp.validate(gqa); }, {"--manual-layers has 2 entries"});
  pp.manual_layers = {4, 0, 0};
  expect_error([&] { pp.validate(gqa); }, {"at least one layer"});
  expect_error([&] { parse_manual_layers("5,x,6"); }, {"--manual-layers", "'x'"});
  expect_error([&] { parse_manual_layers(""); }, {"--manual-layers"});

  ModelParallelConfig iv;
  iv.num_layers_per_virtual_pipeline_stage = 1;
  expect_error([&] { iv.validate(gqa); },
               {"--num-layers-per-virtual-pipeline-stage", "--pipeline-model-parallel-size > 1"});
  iv.pipeline_model_parallel_size = 2;
  iv.num_layers_per_virtual_pipeline_stage = 3;
  expect_error([&] { iv.validate(gqa); }, {"does not divide the 2 layers"});
  iv.num_layers_per_virtual_pipeline_stage = 1;
  iv.manual_layers = {1, 3};
  expect_error([&] { iv.validate(gqa); }, {"cannot be combined with --manual-layers"});

  ShardSpec range;
  range.layers = {{2, 5}};
  expect_error([&] { ParamLayout(gqa, range); }, {"layer range [2, 5)"});
  range.layers = {{2, 3}, {1, 2}};
  expect_error([&] { ParamLayout(gqa, range); }, {"layer range [1, 2)"});
  range.layers = {{0, 4}};
  range.tp_rank = 1;
  expect_error([&] { ParamLayout(gqa, range); }, {"tp_rank 1"});
}

// Bitwise identity of init: for every family, TP and PP, each shard's weights are the slice of
// the unsharded model's, and the shards assemble into it.
GlobalTensors whole_init(const ModelConfig& cfg, uint64_t seed) {
  ModelConfig whole_cfg = cfg;
  whole_cfg.make_vocab_size_divisible_by = 1;
  ModelWeights whole(whole_cfg, DType::F32);
  whole.init_random(seed);
  GlobalTensors want;
  assemble_global(whole.layout(), whole.master(), want);
  return want;
}

void expect_init_slices(const ModelConfig& cfg, const GlobalTensors& want, int tp, int pp,
                        uint64_t seed) {
  SCOPED_TRACE(cfg.name + " tp " + std::to_string(tp) + " pp " + std::to_string(pp));

  const ModelParallelConfig mp = mp_config(cfg, tp, pp);
  GlobalTensors got;
  for (int s = 0; s < pp; ++s) {
    for (int r = 0; r < tp; ++r) {
      ModelWeights w(cfg, DType::F32, mp.shard(cfg, r, s));
      w.init_random(seed);
      std::vector<float> slice;
      for (const ParamSpec& p : w.layout().specs()) {
        slice.assign(static_cast<size_t>(p.numel), -1.0f);
        global_to_shard(p, want.at(p.name).data(), slice.data());
        ASSERT_EQ(std::memcmp(slice.data(), w.master() + p.offset, p.numel * sizeof(float)), 0)
            << p.name << " on tp " << r << " pp " << s;
      }
      assemble_global(w.layout(), w.master(), got);
    }
  }
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, t] : want)
    EXPECT_EQ(std::memcmp(t.data(), got.at(name).data(), t.size() * sizeof(float)), 0) << name;
}

TEST(Sharding, InitIsTheSliceOfTheUnshardedModel) {
  for (const std::string& name : kTiny) {
    const ModelConfig cfg = model_preset(name);
    const GlobalTensors want = whole_init(cfg, 1234);
    for (int tp : {1, 2, 3, 4})
      if (tp_fits(cfg, tp))
        for (int pp : {1, 2, 3}) expect_init_slices(cfg, want, tp, pp, 1234);
  }
  ModelConfig padded = model_preset("tiny-gqa");
  padded.vocab_size = 500;
  padded.make_vocab_size_divisible_by = 64;
  const GlobalTensors want = whole_init(padded, 7);
  expect_init_slices(padded, want, 2, 2, 7);
  expect_init_slices(padded, want, 1, 1, 7);
}

// The unsharded init keeps its values: stream i + 1 for the i-th tensor of the layout.
TEST(Sharding, UnshardedInitStreamsAreStable) {
  const ModelConfig cfg = model_preset("tiny-gqa");
  ModelWeights w(cfg, DType::F32);
  w.init_random(42);
  const float std = cfg.init_method_std;
  const float out_std = std / std::sqrt(2.0f * static_cast<float>(cfg.num_layers));
  uint64_t stream = 0;
  std::vector<float> want;
  for (const ParamSpec& s : w.layout().specs()) {
    ++stream;
    if (s.name.find("norm") != std::string::npos || s.name.ends_with(".bias")) continue;
    want.resize(static_cast<size_t>(s.numel));
    const bool out = s.name.ends_with("o_proj.weight") || s.name.ends_with("down_proj.weight");
    Rng(42, stream).fill_normal(want.data(), static_cast<uint64_t>(s.numel), out ? out_std : std);
    EXPECT_EQ(std::memcmp(want.data(), w.master() + s.offset, want.size() * sizeof(float)), 0)
        << s.name;
  }
}

TEST(Sharding, ExtractAndAssembleRoundTrip) {
  const ModelConfig cfg = model_preset("tiny-gpt2");
  ModelWeights whole(cfg, DType::F32);
  whole.init_random(3);
  GlobalTensors g;
  assemble_global(whole.layout(), whole.master(), g);
  ModelParallelConfig mp = mp_config(cfg, 4, 3);
  GlobalTensors back;
  for (int s = 0; s < 3; ++s)
    for (int r = 0; r < 4; ++r) {
      const ParamLayout l(cfg, mp.shard(cfg, r, s));
      std::vector<float> flat(static_cast<size_t>(l.total()));
      extract_shard(l, g, flat.data());
      assemble_global(l, flat.data(), back);
    }
  EXPECT_EQ(back, g);
  GlobalTensors missing = g;
  missing.erase("model.norm.weight");
  const ParamLayout l(cfg);
  std::vector<float> flat(static_cast<size_t>(l.total()));
  expect_error([&] { extract_shard(l, missing, flat.data()); }, {"model.norm.weight"});
}

}  // namespace
}  // namespace ascent
