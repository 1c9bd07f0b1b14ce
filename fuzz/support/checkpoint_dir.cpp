#include "checkpoint_dir.h"

#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/model_config_json.h"
#include "checkpoint/safetensors.h"
#include "harness.h"

namespace ascent::fuzz {
namespace {

namespace fs = std::filesystem;

void write_shard(const std::string& dir) {
  const nlohmann::json meta = nlohmann::json::parse(fixture_metadata());
  const ModelConfig cfg = model_config_from_json(meta.at("model"), "fixture");
  const ParamLayout layout(cfg);
  std::vector<float> values(static_cast<size_t>(layout.total()));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7) * 0.25f;
  std::vector<safetensors::TensorRef> refs;
  for (const ParamSpec& s : layout.specs())
    refs.push_back({"model/" + s.name, safetensors::Dtype::F32, s.shape, values.data() + s.offset});
  safetensors::write(dir + "/" + shard_file_name(0, 0, 1), refs);
}

std::string hash_hex(const std::string& bytes) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return hex;
}

}  // namespace

std::string fixture_metadata() {
  static const std::string text =
      read_file(std::string(ASCENT_FUZZ_DIR) + "/corpus/checkpoint_metadata/tiny_llama.json");
  return text;
}

const std::string& checkpoint_dir() {
  static const std::string dir = [] {
    const std::string d = scratch_path("iter_0000001");
    fs::create_directories(d);
    write_shard(d);
    return d;
  }();
  return dir;
}

void write_metadata(std::string_view bytes) {
  write_file(checkpoint_dir() + "/metadata.json", bytes);
}

void write_manifest(std::string_view bytes) {
  write_file(checkpoint_dir() + "/manifest.json", bytes);
}

void write_true_manifest() {
  nlohmann::json files = nlohmann::json::object();
  for (const char* name : {"metadata.json", "rank_00000.safetensors"}) {
    const std::string bytes = read_file(checkpoint_dir() + "/" + name);
    files[name] = {{"size", bytes.size()}, {"xxh3_64", hash_hex(bytes)}};
  }
  write_manifest(nlohmann::json({{"files", files}}).dump());
}

void open_and_read_checkpoint() {
  const CheckpointInfo info = open_checkpoint(checkpoint_dir());
  // Mutated sizes make layouts of up to 100,000 layers: valid, but slow to enumerate.
  const ModelConfig& c = info.config;
  if (c.num_layers > 8 || c.hidden_size > 256 || c.vocab_size > 4096) return;
  const ParamLayout layout(c);
  if (layout.total() > (1 << 20)) return;
  std::vector<float> flat(static_cast<size_t>(layout.total()));
  expect_errors([&] { read_checkpoint_tensors(info, "model", layout, flat.data()); });
  for (const std::string& state : info.optimizer_state)
    expect_errors([&] { read_checkpoint_tensors(info, state, layout, flat.data()); });
}

}  // namespace ascent::fuzz
