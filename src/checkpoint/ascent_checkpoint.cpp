#include "checkpoint/ascent_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "checkpoint/model_config_json.h"
#include "checkpoint/safetensors.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

constexpr const char* kMarker = "latest_checkpointed_iteration.txt";
constexpr const char* kRankFile = "rank_00000.safetensors";

std::string iter_name(int64_t iteration) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "iter_%07lld", static_cast<long long>(iteration));
  return buf;
}

void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string hash_file(const fs::path& p, uint64_t* size) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw error("[checkpoint] ", p.string(), ": cannot read");
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    XXH3_64bits_update(st, buf.data(), static_cast<size_t>(got));
    total += static_cast<uint64_t>(got);
  }
  const uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  *size = total;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

void write_text(const fs::path& p, const std::string& text) {
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  safetensors::write_file_atomic(p.string(), bytes);
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw error("[checkpoint] ", p.string(), ": missing");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw error("[checkpoint] ", p.string(), ": bad JSON: ", e.what());
  }
}

}  // namespace

void save_checkpoint(const std::string& save_dir, const ModelWeights& weights, Optimizer* opt,
                     const TrainState& state) {
  const fs::path root(save_dir);
  fs::create_directories(root);
  const std::string name = iter_name(state.iteration);
  const fs::path final_dir = root / name;
  const fs::path tmp_dir = root / (name + ".tmp." + std::to_string(::getpid()));
  fs::remove_all(tmp_dir);
  fs::create_directories(tmp_dir);

  // Tensors: master weights and optimizer state, by parameter name.
  std::vector<safetensors::TensorRef> refs;
  nlohmann::json shapes = nlohmann::json::object();
  auto add = [&](const std::string& prefix, const float* base) {
    for (const ParamSpec& s : weights.layout().specs()) {
      refs.push_back({prefix + s.name, safetensors::Dtype::F32, s.shape, base + s.offset});
    }
  };
  add("model/", weights.master());
  std::vector<std::string> state_names;
  if (opt) {
    for (auto& [sname, buf] : opt->state()) {
      add("optim/" + sname + "/", buf);
      state_names.push_back(sname);
    }
  }
  for (const ParamSpec& s : weights.layout().specs())
    shapes[s.name] = {{"global_shape", s.shape}, {"split", "none"}};
  safetensors::write((tmp_dir / kRankFile).string(), refs, {{"format", "ascent"}});

  nlohmann::json meta = {
      {"format", "ascent-checkpoint"},
      {"version", 1},
      {"iteration", state.iteration},
      {"consumed_train_samples", state.consumed_train_samples},
      {"optimizer_steps", opt ? opt->steps() : state.optimizer_steps},
      {"optimizer_state", state_names},
      {"seed", state.seed},
      {"layout", {{"tensor_model_parallel_size", 1}, {"pipeline_model_parallel_size", 1},
                  {"data_parallel_size", 1}, {"files", {kRankFile}}}},
      {"model", model_config_to_json(weights.config())},
      {"args", state.args},
      {"tensors", shapes},
  };
  write_text(tmp_dir / "metadata.json", meta.dump(2) + "\n");

  nlohmann::json manifest = nlohmann::json::object();
  for (const char* f : {kRankFile, "metadata.json"}) {
    uint64_t size = 0;
    const std::string h = hash_file(tmp_dir / f, &size);
    manifest[f] = {{"size", size}, {"xxh3_64", h}};
  }
  write_text(tmp_dir / "manifest.json", nlohmann::json({{"files", manifest}}).dump(2) + "\n");
  fsync_path(tmp_dir, true);

  // Replace an older directory of the same iteration, then commit through the marker.
  if (fs::exists(final_dir)) {
    const fs::path old = root / (name + ".old." + std::to_string(::getpid()));
    fs::rename(final_dir, old);
    fs::rename(tmp_dir, final_dir);
    fs::remove_all(old);
  } else {
    fs::rename(tmp_dir, final_dir);
  }
  fsync_path(root, true);
  write_text(root / kMarker, std::to_string(state.iteration) + "\n");
}

bool is_ascent_checkpoint(const std::string& path) {
  const fs::path p(path);
  return fs::exists(p / kMarker) || fs::exists(p / "metadata.json");
}

CheckpointInfo open_checkpoint(const std::string& path) {
  fs::path dir(path);
  if (fs::exists(dir / kMarker)) {
    std::ifstream in(dir / kMarker);
    long long it = -1;
    if (!(in >> it) || it < 0)
      throw error("[checkpoint] ", (dir / kMarker).string(), ": not an iteration number");
    dir = dir / iter_name(it);
    if (!fs::exists(dir))
      throw error("[checkpoint] ", path, ": ", kMarker, " names ", dir.filename().string(),
                  " which does not exist");
  } else if (!fs::exists(dir / "metadata.json")) {
    throw error("[checkpoint] ", path, ": no committed checkpoint (", kMarker,
                " is missing and this is not an iter_ directory)");
  }
  // Every file the manifest lists must have its size and hash.
  const nlohmann::json manifest = read_json(dir / "manifest.json");
  if (!manifest.contains("files") || !manifest["files"].is_object() || manifest["files"].empty())
    throw error("[checkpoint] ", (dir / "manifest.json").string(), ": no files listed");
  for (const auto& [file, want] : manifest["files"].items()) {
    const fs::path f = dir / file;
    if (!fs::exists(f)) throw error("[checkpoint] ", f.string(), ": missing (listed in manifest)");
    uint64_t size = 0;
    const uint64_t want_size = want.at("size").get<uint64_t>();
    if (fs::file_size(f) != want_size)
      throw error("[checkpoint] ", f.string(), ": size ", fs::file_size(f), " but manifest says ",
                  want_size, " (incomplete or corrupt checkpoint)");
    const std::string h = hash_file(f, &size);
    if (h != want.at("xxh3_64").get<std::string>())
      throw error("[checkpoint] ", f.string(), ": hash ", h, " but manifest says ",
                  want.at("xxh3_64").get<std::string>(), " (corrupt checkpoint)");
  }
  const nlohmann::json meta = read_json(dir / "metadata.json");
  CheckpointInfo info;
  info.dir = dir.string();
  const std::string what = (dir / "metadata.json").string();
  try {
    info.config = model_config_from_json(meta.at("model"), what);
    info.state.iteration = meta.at("iteration").get<int64_t>();
    info.state.consumed_train_samples = meta.at("consumed_train_samples").get<int64_t>();
    info.state.optimizer_steps = meta.at("optimizer_steps").get<int64_t>();
    info.state.seed = meta.at("seed").get<uint64_t>();
    info.state.args = meta.value("args", nlohmann::json::object());
    info.has_optimizer = !meta.at("optimizer_state").empty();
  } catch (const nlohmann::json::exception& e) {
    throw error("[checkpoint] ", what, ": ", e.what());
  }
  return info;
}

void load_checkpoint(const CheckpointInfo& ckpt, ModelWeights& weights, Optimizer* opt) {
  const safetensors::Reader file((fs::path(ckpt.dir) / kRankFile).string());
  auto load = [&](const std::string& prefix, float* base) {
    for (const ParamSpec& s : weights.layout().specs()) {
      const std::string name = prefix + s.name;
      const safetensors::TensorInfo* t = file.find(name);
      if (!t) throw error("[checkpoint] ", file.path(), ": missing tensor ", name);
      if (t->shape != s.shape || t->dtype != safetensors::Dtype::F32)
        throw error("[checkpoint] ", file.path(), ": tensor ", name,
                    " has a different shape or dtype than the model expects");
      file.to_f32(*t, base + s.offset);
    }
  };
  load("model/", weights.master());
  if (opt) {
    if (!ckpt.has_optimizer)
      throw error("[checkpoint] ", ckpt.dir, ": holds no optimizer state (use --finetune)");
    for (auto& [sname, buf] : opt->state()) load("optim/" + sname + "/", buf);
    opt->set_steps(ckpt.state.optimizer_steps);
  }
  weights.refresh_compute();
}

}  // namespace ascent
