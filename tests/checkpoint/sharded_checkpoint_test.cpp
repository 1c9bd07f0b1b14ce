// ascent checkpoints across layouts: shards written by simulated ranks of one layout load onto any
// other (parameters and AdamW state, bitwise), `convert` reshards offline, checkpoints from before
// sharding still load, and HF export / import do not depend on the layout.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/model_config_json.h"
#include "checkpoint/reshard.h"
#include "checkpoint/safetensors.h"
#include "checkpoint/test_dir.h"
#include "checkpoint/tiny_families.h"
#include "core/rng.h"
#include "model/shard_copy.h"

namespace ascent {
namespace {

using testing::expect_error;
using testing::read_text;
using testing::TestDir;
namespace fs = std::filesystem;

const std::vector<std::string> kStates = {"exp_avg", "exp_avg_sq"};

ModelConfig four_layers(const std::string& family) {
  ModelConfig c = testing::family(family);
  c.num_layers = 4;
  c.validate();
  return c;
}

ModelParallelConfig mp(int tp, int pp, std::vector<int64_t> manual = {}, int64_t vpp = 0) {
  ModelParallelConfig m;
  m.tensor_model_parallel_size = tp;
  m.pipeline_model_parallel_size = pp;
  m.manual_layers = std::move(manual);
  m.num_layers_per_virtual_pipeline_stage = vpp;
  return m;
}

// A whole model and its AdamW state as global tensors: the reference every load is compared to.
struct Reference {
  ModelConfig cfg;
  GlobalTensors params;
  std::map<std::string, GlobalTensors> state;
};

Reference make_reference(const ModelConfig& cfg, uint64_t seed) {
  Reference r;
  r.cfg = cfg;
  ModelConfig whole = cfg;
  whole.make_vocab_size_divisible_by = 1;
  ModelWeights w(whole, DType::F32);
  w.init_random(seed);
  assemble_global(w.layout(), w.master(), r.params);
  uint64_t stream = 1000;
  for (const std::string& s : kStates) {
    for (const auto& [name, t] : r.params) {
      std::vector<float>& dst = r.state[s][name];
      dst.resize(t.size());
      Rng(seed, ++stream).fill_uniform(dst.data(), dst.size());
    }
  }
  return r;
}

struct Rank {
  std::unique_ptr<ModelWeights> w;
  std::unique_ptr<Optimizer> opt;
};

Rank make_rank(const Reference& ref, const ShardSpec& spec) {
  Rank r;
  r.w = std::make_unique<ModelWeights>(ref.cfg, DType::F32, spec);
  extract_shard(r.w->layout(), ref.params, r.w->master());
  r.w->refresh_compute();
  r.opt = make_optimizer(OptimConfig{}, *r.w);
  for (auto& [name, buf] : r.opt->state()) extract_shard(r.w->layout(), ref.state.at(name), buf);
  r.opt->set_steps(7);
  return r;
}

TrainState train_state(int64_t iteration) {
  TrainState st;
  st.iteration = iteration;
  st.consumed_train_samples = 640;
  st.optimizer_steps = 7;
  st.seed = 5;
  st.args = {{"lr", 0.5}, {"tensor-model-parallel-size", 2}};
  return st;
}

// Every (tp, pp) rank of `layout` writes its shard, one after the other, then "rank 0" commits.
void save_as(const Reference& ref, const std::string& dir, const CheckpointLayout& layout,
             int64_t iteration = 3) {
  const PendingCheckpoint p = pending_checkpoint(dir, iteration, "sim");
  begin_checkpoint(p);
  const ModelParallelConfig& m = layout.model_parallel;
  for (int pp = 0; pp < m.pipeline_model_parallel_size; ++pp)
    for (int tp = 0; tp < m.tensor_model_parallel_size; ++tp) {
      Rank r = make_rank(ref, m.shard(ref.cfg, tp, pp));
      save_checkpoint_shard(p, layout, pp, *r.w, r.opt.get());
    }
  commit_checkpoint(p, ref.cfg, layout, kStates, train_state(iteration));
}

// Every tensor of `s`'s local slice equals the reference's slice, bitwise.
void expect_slices(const ParamLayout& l, const GlobalTensors& ref, const float* flat,
                   const std::string& what) {
  std::vector<float> want;
  for (const ParamSpec& s : l.specs()) {
    want.assign(static_cast<size_t>(s.numel), -7.0f);
    global_to_shard(s, ref.at(s.name).data(), want.data());
    EXPECT_EQ(std::memcmp(want.data(), flat + s.offset, want.size() * sizeof(float)), 0)
        << what << " " << s.name;
  }
}

// Loads the checkpoint at dir onto every rank of `target` (with cfg, default ref.cfg).
void expect_loads_as(const Reference& ref, const std::string& dir,
                     const ModelParallelConfig& target, const ModelConfig* cfg = nullptr) {
  const ModelConfig& c = cfg ? *cfg : ref.cfg;
  const CheckpointInfo ckpt = open_checkpoint(dir);
  EXPECT_EQ(ckpt.state.iteration, 3);
  EXPECT_EQ(ckpt.state.consumed_train_samples, 640);
  for (int pp = 0; pp < target.pipeline_model_parallel_size; ++pp)
    for (int tp = 0; tp < target.tensor_model_parallel_size; ++tp) {
      SCOPED_TRACE("target tp " + std::to_string(tp) + " pp " + std::to_string(pp));
      ModelWeights w(c, DType::F32, target.shard(c, tp, pp));
      auto opt = make_optimizer(OptimConfig{}, w);
      load_checkpoint(ckpt, w, opt.get());
      EXPECT_EQ(opt->steps(), 7);
      expect_slices(w.layout(), ref.params, w.master(), "param");
      for (auto& [name, buf] : opt->state())
        expect_slices(w.layout(), ref.state.at(name), buf, name);
    }
}

CheckpointLayout layout_of(const ModelParallelConfig& m) {
  CheckpointLayout l;
  l.model_parallel = m;
  return l;
}

TEST(ShardedCheckpoint, Tp2Pp2LoadsOntoOtherLayouts) {
  for (const char* family : {"llama_gqa", "bloom", "gpt2", "internlm", "baichuan2"}) {
    SCOPED_TRACE(family);
    TestDir dir;
    const Reference ref = make_reference(four_layers(family), 11);
    save_as(ref, dir / "ckpt", layout_of(mp(2, 2)));
    const fs::path iter = fs::path(dir / "ckpt") / "iter_0000003";
    for (const char* f : {"rank_00000.safetensors", "rank_00001.safetensors",
                          "rank_00002.safetensors", "rank_00003.safetensors"})
      EXPECT_TRUE(fs::exists(iter / f)) << f;
    const CheckpointInfo info = open_checkpoint(dir / "ckpt");
    EXPECT_EQ(info.layout.model_parallel.tensor_model_parallel_size, 2);
    EXPECT_EQ(info.layout.model_parallel.pipeline_model_parallel_size, 2);
    ASSERT_EQ(info.files.size(), 4u);
    EXPECT_EQ(info.files[3].tp_rank, 1);
    EXPECT_EQ(info.files[3].pp_rank, 1);
    EXPECT_EQ(info.tensors.at("model.layers.0.self_attn.o_proj.weight").split_dim, 1);
    EXPECT_EQ(info.optimizer_state, kStates);

    expect_loads_as(ref, dir / "ckpt", mp(1, 1));
    expect_loads_as(ref, dir / "ckpt", mp(1, 3, {1, 2, 1}));
    expect_loads_as(ref, dir / "ckpt", mp(2, 1));
    expect_loads_as(ref, dir / "ckpt", mp(1, 2, {}, 1));  // interleaved: stage 0 holds 0 and 2
    if (ref.cfg.num_query_groups % 4 == 0) expect_loads_as(ref, dir / "ckpt", mp(4, 3, {2, 1, 1}));
  }
}

TEST(ShardedCheckpoint, WholeModelLoadsOntoShards) {
  TestDir dir;
  const Reference ref = make_reference(four_layers("llama"), 12);
  Rank r = make_rank(ref, ShardSpec{});
  TrainState st = train_state(3);
  save_checkpoint(dir / "ckpt", *r.w, r.opt.get(), st);
  EXPECT_TRUE(fs::exists(fs::path(dir / "ckpt") / "iter_0000003" / "rank_00000.safetensors"));
  expect_loads_as(ref, dir / "ckpt", mp(2, 2));
  expect_loads_as(ref, dir / "ckpt", mp(4, 3, {1, 2, 1}));
  expect_loads_as(ref, dir / "ckpt", mp(1, 1));
}

// A rank holding two virtual pipeline chunks in two flat buffers writes them as one shard file.
TEST(ShardedCheckpoint, InterleavedChunksSaveAsParts) {
  TestDir dir;
  const Reference ref = make_reference(four_layers("gpt2"), 13);
  const ModelParallelConfig m = mp(2, 2, {}, 1);
  const CheckpointLayout layout = layout_of(m);
  const PendingCheckpoint p = pending_checkpoint(dir / "ckpt", 3, "sim");
  begin_checkpoint(p);
  for (int pp = 0; pp < 2; ++pp)
    for (int tp = 0; tp < 2; ++tp) {
      std::vector<Rank> chunks;
      std::vector<ShardPart> parts;
      for (int c = 0; c < m.virtual_stages(ref.cfg); ++c)
        chunks.push_back(make_rank(ref, m.chunk_shard(ref.cfg, tp, pp, c)));
      for (Rank& r : chunks)
        parts.push_back({&r.w->layout(), r.w->master(), optimizer_state(r.opt.get())});
      save_checkpoint_shard(p, ref.cfg, layout, tp, pp, parts);
      // One chunk alone is not the stage's shard.
      if (pp == 0 && tp == 0)
        expect_error(
            [&] {
              save_checkpoint_shard(p, ref.cfg, layout, tp, pp, {parts.data(), 1});
            },
            {"[checkpoint]", "lack tensor model.layers.2"});
    }
  commit_checkpoint(p, ref.cfg, layout, kStates, train_state(3));
  const CheckpointInfo info = open_checkpoint(dir / "ckpt");
  EXPECT_EQ(info.layout.model_parallel.num_layers_per_virtual_pipeline_stage, 1);
  expect_loads_as(ref, dir / "ckpt", mp(1, 1));
  expect_loads_as(ref, dir / "ckpt", mp(2, 3, {1, 1, 2}));
}

TEST(ShardedCheckpoint, VocabularyPaddingIsNotSaved) {
  TestDir dir;
  ModelConfig cfg = four_layers("llama");  // V 40
  cfg.make_vocab_size_divisible_by = 16;   // TP 2: 64 rows, 24 of them padding
  const Reference ref = make_reference(cfg, 14);
  save_as(ref, dir / "ckpt", layout_of(mp(2, 2)));
  const safetensors::Reader last(
      (fs::path(dir / "ckpt") / "iter_0000003" / "rank_00003.safetensors").string());
  EXPECT_EQ(last.find("model/lm_head.weight")->shape, (std::vector<int64_t>{32, 32}));
  expect_loads_as(ref, dir / "ckpt", mp(4, 1));
  ModelConfig plain = cfg;
  plain.make_vocab_size_divisible_by = 1;
  expect_loads_as(ref, dir / "ckpt", mp(1, 1), &plain);
  expect_loads_as(ref, dir / "ckpt", mp(2, 1), &plain);  // 40 rows: 20 each, no padding
}

TEST(ShardedCheckpoint, ConvertRoundTrips) {
  TestDir dir;
  const Reference ref = make_reference(four_layers("bloom"), 15);
  save_as(ref, dir / "a", layout_of(mp(2, 2)));
  const std::vector<ModelParallelConfig> chain = {mp(1, 3, {2, 1, 1}), mp(4, 1), mp(2, 2, {}, 1),
                                                  mp(1, 1)};
  std::string from = dir / "a";
  int i = 0;
  for (const ModelParallelConfig& m : chain) {
    const std::string to = dir / std::string("b").append(std::to_string(i++));
    reshard_checkpoint(open_checkpoint(from), ref.cfg, to, layout_of(m));
    const CheckpointInfo c = open_checkpoint(to);
    EXPECT_EQ(c.layout.model_parallel.tensor_model_parallel_size, m.tensor_model_parallel_size);
    EXPECT_EQ(c.state.args.at("tensor-model-parallel-size"), m.tensor_model_parallel_size);
    EXPECT_EQ(c.state.args.at("lr"), 0.5);
    EXPECT_EQ(c.state.optimizer_steps, 7);
    expect_loads_as(ref, to, mp(1, 1));
    expect_loads_as(ref, to, mp(2, 2));
    from = to;
  }
  // Back in the first layout, every shard file holds the same tensors as the original.
  reshard_checkpoint(open_checkpoint(from), ref.cfg, dir / "back", layout_of(mp(2, 2)));
  for (int r = 0; r < 4; ++r) {
    const fs::path f = fs::path("iter_0000003") / shard_file_name(r % 2, r / 2, 2);
    const safetensors::Reader x((fs::path(dir / "a") / f).string());
    const safetensors::Reader y((fs::path(dir / "back") / f).string());
    ASSERT_EQ(x.tensors().size(), y.tensors().size());
    for (const auto& t : x.tensors()) {
      const auto* u = y.find(t.name);
      ASSERT_TRUE(u) << t.name;
      ASSERT_EQ(t.shape, u->shape) << t.name;
      EXPECT_EQ(std::memcmp(x.data(t), y.data(*u), t.nbytes()), 0) << t.name;
    }
  }
}

// The format written before sharding: one rank_00000.safetensors, metadata version 1.
// `edit` may change the metadata before it is written (and hashed into the manifest).
void write_v1_checkpoint(const Reference& ref, const std::string& save,
                         const std::function<void(nlohmann::json&)>& edit = {}) {
  const fs::path dir = fs::path(save) / "iter_0000003";
  fs::create_directories(dir);
  const ParamLayout layout(ref.cfg);
  std::vector<safetensors::TensorRef> refs;
  nlohmann::json shapes = nlohmann::json::object();
  auto add = [&](const std::string& prefix, const GlobalTensors& g) {
    for (const ParamSpec& s : layout.specs())
      refs.push_back({prefix + s.name, safetensors::Dtype::F32, s.shape, g.at(s.name).data()});
  };
  add("model/", ref.params);
  for (const std::string& s : kStates)
    add(std::string("optim/").append(s).append("/"), ref.state.at(s));
  for (const ParamSpec& s : layout.specs())
    shapes[s.name] = {{"global_shape", s.shape}, {"split", "none"}};
  safetensors::write((dir / "rank_00000.safetensors").string(), refs, {{"format", "ascent"}});
  nlohmann::json model = model_config_to_json(ref.cfg);
  model.erase("make_vocab_size_divisible_by");
  nlohmann::json meta = {
      {"format", "ascent-checkpoint"},
      {"version", 1},
      {"iteration", 3},
      {"consumed_train_samples", 640},
      {"optimizer_steps", 7},
      {"optimizer_state", kStates},
      {"seed", 5},
      {"layout",
       {{"tensor_model_parallel_size", 1},
        {"pipeline_model_parallel_size", 1},
        {"data_parallel_size", 1},
        {"files", {"rank_00000.safetensors"}}}},
      {"model", model},
      {"args", {{"lr", 0.5}}},
      {"tensors", shapes},
  };
  if (edit) edit(meta);
  testing::write_text((dir / "metadata.json").string(), meta.dump(2) + "\n");
  nlohmann::json manifest = nlohmann::json::object();
  for (const char* f : {"rank_00000.safetensors", "metadata.json"}) {
    const std::string bytes = read_text((dir / f).string());
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
    manifest[f] = {{"size", bytes.size()}, {"xxh3_64", hex}};
  }
  testing::write_text((dir / "manifest.json").string(),
                      nlohmann::json({{"files", manifest}}).dump(2) + "\n");
  testing::write_text((fs::path(save) / "latest_checkpointed_iteration.txt").string(), "3\n");
}

TEST(ShardedCheckpoint, CheckpointsFromBeforeShardingLoad) {
  TestDir dir;
  const Reference ref = make_reference(four_layers("llama_tied"), 16);
  write_v1_checkpoint(ref, dir / "old");
  const CheckpointInfo info = open_checkpoint(dir / "old");
  EXPECT_EQ(info.files.size(), 1u);
  EXPECT_EQ(info.tensors.at("model.embed_tokens.weight").split_dim, -1);
  expect_loads_as(ref, dir / "old", mp(1, 1));
  expect_loads_as(ref, dir / "old", mp(2, 2));
  reshard_checkpoint(info, ref.cfg, dir / "new", layout_of(mp(2, 3, {2, 1, 1})));
  expect_loads_as(ref, dir / "new", mp(1, 1));
}

// Metadata a hand or a bug could write: each gets an error naming the file and the field, not
// an internal check later (a negative step count used to abort in AdamW).
TEST(ShardedCheckpoint, HostileMetadataIsRefusedNamingTheField) {
  TestDir dir;
  const Reference ref = make_reference(four_layers("llama_tied"), 16);
  const std::vector<std::pair<std::function<void(nlohmann::json&)>, std::vector<std::string>>>
      cases = {
          {[](nlohmann::json& m) { m["optimizer_steps"] = -1; }, {"'optimizer_steps'", "-1"}},
          {[](nlohmann::json& m) { m["iteration"] = 3.5; }, {"'iteration'", "3.5"}},
          {[](nlohmann::json& m) { m["iteration"] = uint64_t{9223372036854775807u}; },
           {"'iteration'", "[0, 2^53)"}},
          {[](nlohmann::json& m) { m["consumed_train_samples"] = "640"; },
           {"'consumed_train_samples'"}},
          {[](nlohmann::json& m) { m.erase("optimizer_steps"); }, {"'optimizer_steps'", "missing"}},
          {[](nlohmann::json& m) { m["format"] = "megatron"; }, {"format", "megatron"}},
          {[](nlohmann::json& m) { m["version"] = 9; }, {"version 9"}},
      };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string save = dir / ("bad" + std::to_string(i));
    write_v1_checkpoint(ref, save, cases[i].first);
    std::string message;
    try {
      open_checkpoint(save);
    } catch (const Error& e) {
      message = e.what();
    }
    SCOPED_TRACE("case " + std::to_string(i) + ": " + message);
    EXPECT_NE(message.find("[checkpoint]"), std::string::npos);
    EXPECT_NE(message.find("metadata.json"), std::string::npos);
    for (const std::string& w : cases[i].second) EXPECT_NE(message.find(w), std::string::npos) << w;
  }
}

// A manifest naming files outside the directory, or entries of the wrong shape, is refused naming
// manifest.json before any file is read (a FIFO named there would otherwise block the load).
TEST(ShardedCheckpoint, HostileManifestIsRefusedBeforeReadingFiles) {
  TestDir dir;
  const Reference ref = make_reference(four_layers("llama_tied"), 16);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"files": {"../metadata.json": {"size": 1, "xxh3_64": "0"}}})", "'../metadata.json'"},
      {R"({"files": {"/etc/passwd": {"size": 1, "xxh3_64": "0"}}})", "'/etc/passwd'"},
      {R"({"files": {"metadata.json": {"size": -4, "xxh3_64": "0"}}})", "unsigned \"size\""},
      {R"({"files": {"metadata.json": [1, 2]}})", "entry 'metadata.json'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const fs::path save = fs::path(dir / ("bad" + std::to_string(i)));
    write_v1_checkpoint(ref, save.string());
    testing::write_text((save / "iter_0000003" / "manifest.json").string(), cases[i].first);
    std::string message;
    try {
      open_checkpoint(save.string());
    } catch (const Error& e) {
      message = e.what();
    }
    SCOPED_TRACE("case " + std::to_string(i) + ": " + message);
    EXPECT_NE(message.find("manifest.json"), std::string::npos);
    EXPECT_NE(message.find(cases[i].second), std::string::npos);
  }
}

// HF output does not depend on the checkpoint's layout or vocabulary padding: same bytes.
TEST(ShardedCheckpoint, HfExportOfShardsEqualsWholeExport) {
  for (const char* family : {"llama_gqa", "baichuan2", "bloom", "gpt2_untied"}) {
    SCOPED_TRACE(family);
    TestDir dir;
    ModelConfig cfg = four_layers(family);
    const Reference ref = make_reference(cfg, 17);
    save_as(ref, dir / "whole", layout_of(mp(1, 1)));
    save_as(ref, dir / "sharded", layout_of(mp(2, 2)));
    Reference padded = ref;
    padded.cfg.make_vocab_size_divisible_by = 16;
    save_as(padded, dir / "padded", layout_of(mp(2, 3, {1, 2, 1})));
    checkpoint_to_hf(open_checkpoint(dir / "whole"), dir / "hf_whole", DType::F32);
    checkpoint_to_hf(open_checkpoint(dir / "sharded"), dir / "hf_sharded", DType::F32);
    checkpoint_to_hf(open_checkpoint(dir / "padded"), dir / "hf_padded", DType::BF16);
    checkpoint_to_hf(open_checkpoint(dir / "whole"), dir / "hf_whole16", DType::BF16);
    const std::string want = read_text(dir / "hf_whole/model.safetensors");
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(read_text(dir / "hf_sharded/model.safetensors"), want);
    EXPECT_EQ(read_text(dir / "hf_sharded/config.json"), read_text(dir / "hf_whole/config.json"));
    EXPECT_EQ(read_text(dir / "hf_padded/model.safetensors"),
              read_text(dir / "hf_whole16/model.safetensors"));

    // And back: HF into a sharded checkpoint gives the reference model.
    hf_to_checkpoint(dir / "hf_whole", cfg, dir / "from_hf", layout_of(mp(2, 2)), TrainState{});
    const CheckpointInfo c = open_checkpoint(dir / "from_hf");
    EXPECT_FALSE(c.has_optimizer);
    for (int pp = 0; pp < 2; ++pp)
      for (int tp = 0; tp < 2; ++tp) {
        ModelWeights w(cfg, DType::F32, mp(2, 2).shard(cfg, tp, pp));
        load_checkpoint(c, w, nullptr);
        expect_slices(w.layout(), ref.params, w.master(), "from hf");
        ModelWeights direct(padded.cfg, DType::F32, mp(2, 2).shard(cfg, tp, pp));
        load_hf_weights(dir / "hf_whole", padded.cfg, direct.layout(), direct.master());
        expect_slices(direct.layout(), ref.params, direct.master(), "hf into shard");
      }
  }
}

TEST(ShardedCheckpoint, Errors) {
  TestDir dir;
  const Reference ref = make_reference(four_layers("llama_gqa"), 18);
  const CheckpointLayout layout = layout_of(mp(2, 2));

  // A shard never written: commit refuses, nothing is committed.
  PendingCheckpoint p = pending_checkpoint(dir / "ckpt", 3, "sim");
  begin_checkpoint(p);
  Rank r = make_rank(ref, layout.model_parallel.shard(ref.cfg, 0, 0));
  save_checkpoint_shard(p, layout, 0, *r.w, r.opt.get());
  expect_error([&] { commit_checkpoint(p, ref.cfg, layout, kStates, train_state(3)); },
               {"[checkpoint]", "rank_00001.safetensors", "missing at commit", "tp 1, pp 0"});
  expect_error([&] { open_checkpoint(dir / "ckpt"); }, {"no committed checkpoint"});
  // The wrong rank's weights for a shard.
  expect_error([&] { save_checkpoint_shard(p, layout, 1, *r.w, r.opt.get()); },
               {"[checkpoint]", "is not part of shard (tp 0, pp 1)"});
  // save_checkpoint is for whole models.
  expect_error([&] { save_checkpoint(dir / "x", *r.w, nullptr, train_state(1)); },
               {"[checkpoint]", "save_checkpoint_shard"});

  save_as(ref, dir / "ok", layout);
  const CheckpointInfo ckpt = open_checkpoint(dir / "ok");
  ModelConfig other = ref.cfg;
  other.ffn_hidden_size = 64;
  ModelWeights w(other, DType::F32);
  expect_error([&] { load_checkpoint(ckpt, w, nullptr); },
               {"[checkpoint]", "model.layers.0.mlp.gate_proj.weight", "global shape [48, 32]",
                "expects [64, 32]"});
  ModelConfig biased = ref.cfg;
  biased.qkv_bias = true;
  ModelWeights wb(biased, DType::F32);
  expect_error([&] { load_checkpoint(ckpt, wb, nullptr); },
               {"[checkpoint]", "no tensor model.layers.0.self_attn.q_proj.bias"});

  // Weights-only checkpoints refuse to restore an optimizer.
  save_checkpoint(dir / "weights", *make_rank(ref, ShardSpec{}).w, nullptr, train_state(3));
  ModelWeights w2(ref.cfg, DType::F32);
  auto opt = make_optimizer(OptimConfig{}, w2);
  expect_error([&] { load_checkpoint(open_checkpoint(dir / "weights"), w2, opt.get()); },
               {"holds no optimizer state"});
}

}  // namespace
}  // namespace ascent
