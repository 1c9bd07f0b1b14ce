#include "checkpoint/ascent_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "checkpoint/model_config_json.h"
#include "checkpoint/safetensors.h"
#include "checkpoint/save_dir.h"
#include "core/error.h"
#include "core/log.h"
#include "model/shard_copy.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

constexpr const char* kMarker = kLatestMarker;
constexpr const char* kWholeFile = "rank_00000.safetensors";  // before sharding existed

std::string iter_name(int64_t iteration) { return checkpoint_dir_name(iteration); }

void fsync_dir(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Runs the steps of a save that precede its commit; on an error (a full disk, say) removes the
// temporary directory, so that a failed save leaves nothing behind, and rethrows.
template <class Steps>
void removing_tmp_on_error(const fs::path& tmp_dir, Steps&& steps) {
  try {
    steps();
  } catch (const Error&) {
    std::error_code ec;
    fs::remove_all(tmp_dir, ec);
    throw;
  }
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

const char* split_name(int dim) { return dim < 0 ? "none" : dim == 0 ? "rows" : "columns"; }

int parse_split(const std::string& s, const std::string& what) {
  if (s == "none") return -1;
  if (s == "rows") return 0;
  if (s == "columns") return 1;
  throw error("[checkpoint] ", what, ": unknown split '", s, "'");
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

nlohmann::json layout_to_json(const CheckpointLayout& l) {
  const ModelParallelConfig& mp = l.model_parallel;
  return {{"tensor_model_parallel_size", mp.tensor_model_parallel_size},
          {"pipeline_model_parallel_size", mp.pipeline_model_parallel_size},
          {"num_layers_per_virtual_pipeline_stage", mp.num_layers_per_virtual_pipeline_stage},
          {"manual_layers", mp.manual_layers},
          {"data_parallel_size", l.data_parallel_size},
          {"zero_stage", l.zero_stage},
          {"optimizer_state_layout", "model-shard"}};
}

CheckpointLayout layout_from_json(const nlohmann::json& j) {
  CheckpointLayout l;
  ModelParallelConfig& mp = l.model_parallel;
  mp.tensor_model_parallel_size = j.value("tensor_model_parallel_size", 1);
  mp.pipeline_model_parallel_size = j.value("pipeline_model_parallel_size", 1);
  mp.num_layers_per_virtual_pipeline_stage =
      j.value("num_layers_per_virtual_pipeline_stage", int64_t{0});
  mp.manual_layers = j.value("manual_layers", std::vector<int64_t>{});
  l.data_parallel_size = j.value("data_parallel_size", 1);
  l.zero_stage = j.value("zero_stage", 0);
  return l;
}

// Every layout each shard of `layout` has, in model-parallel rank order.
struct ShardOf {
  int tp_rank, pp_rank;
  ParamLayout params;
};
std::vector<ShardOf> all_shards(const ModelConfig& cfg, const ModelParallelConfig& mp) {
  mp.validate(cfg);
  std::vector<ShardOf> out;
  for (int pp = 0; pp < mp.pipeline_model_parallel_size; ++pp)
    for (int tp = 0; tp < mp.tensor_model_parallel_size; ++tp)
      out.push_back({tp, pp, ParamLayout(cfg, mp.shard(cfg, tp, pp))});
  return out;
}

}  // namespace

NamedState optimizer_state(Optimizer* opt) {
  NamedState out;
  if (opt)
    ASCENT_CHECK(opt->range().begin == 0)
        << "optimizer_state: a ZeRO shard of the state; gather it into whole buffers first";
  if (opt)
    for (auto& [name, buf] : opt->state()) out.emplace_back(name, buf);
  return out;
}

std::string shard_file_name(int tp_rank, int pp_rank, int tp_size) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "rank_%05d.safetensors", pp_rank * tp_size + tp_rank);
  return buf;
}

PendingCheckpoint pending_checkpoint(const std::string& save_dir, int64_t iteration,
                                     const std::string& tag) {
  PendingCheckpoint p;
  p.save_dir = save_dir;
  p.iteration = iteration;
  p.tag = tag;
  p.tmp_dir = (fs::path(save_dir) / (iter_name(iteration) + ".tmp." + tag)).string();
  return p;
}

void begin_checkpoint(const PendingCheckpoint& p) {
  checkpoint_step("checkpoint.begin", p.tmp_dir);
  fs::create_directories(p.save_dir);
  fs::remove_all(p.tmp_dir);
  fs::create_directories(p.tmp_dir);
}

std::string save_checkpoint_shard(const PendingCheckpoint& p, const ModelConfig& cfg,
                                  const CheckpointLayout& layout, int tp_rank, int pp_rank,
                                  std::span<const ShardPart> parts) {
  const ModelParallelConfig& mp = layout.model_parallel;
  const ParamLayout expected(cfg, mp.shard(cfg, tp_rank, pp_rank));
  const std::string file = shard_file_name(tp_rank, pp_rank, mp.tensor_model_parallel_size);
  const std::string where = "[checkpoint] " + (fs::path(p.tmp_dir) / file).string() + ": ";

  std::vector<safetensors::TensorRef> refs;
  std::set<std::string> seen;
  for (const ShardPart& part : parts) {
    if (part.optim.size() != parts[0].optim.size())
      throw error(where, "the parts of the shard hold different optimizer states");
    for (const ParamSpec& s : part.layout->specs()) {
      const ParamSpec* e = expected.find(s.name);
      if (!e || e->shape != s.shape || e->split_offset != s.split_offset)
        throw error(where, "tensor ", s.name, " ", shape_str(s.shape), " is not part of shard (tp ",
                    tp_rank, ", pp ", pp_rank, ") of this layout");
      if (!seen.insert(s.name).second) throw error(where, "tensor ", s.name, " given twice");
      refs.push_back({"model/" + s.name, safetensors::Dtype::F32, s.shape, part.master + s.offset});
      for (size_t i = 0; i < part.optim.size(); ++i) {
        const auto& [sname, buf] = part.optim[i];
        if (sname != parts[0].optim[i].first)
          throw error(where, "the parts of the shard hold different optimizer states");
        refs.push_back(
            {"optim/" + sname + "/" + s.name, safetensors::Dtype::F32, s.shape, buf + s.offset});
      }
    }
  }
  for (const ParamSpec& e : expected.specs())
    if (!seen.count(e.name)) throw error(where, "the parts of the shard lack tensor ", e.name);
  checkpoint_step("checkpoint.write_shard", fs::path(p.tmp_dir) / file);
  safetensors::write((fs::path(p.tmp_dir) / file).string(), refs,
                     {{"format", "ascent"},
                      {"tp_rank", std::to_string(tp_rank)},
                      {"pp_rank", std::to_string(pp_rank)}});
  return file;
}

std::string save_checkpoint_shard(const PendingCheckpoint& p, const CheckpointLayout& layout,
                                  int pp_rank, const ModelWeights& weights, Optimizer* opt) {
  const ShardPart part{&weights.layout(), weights.master(), optimizer_state(opt)};
  return save_checkpoint_shard(p, weights.config(), layout, weights.shard().tp_rank, pp_rank,
                               std::span<const ShardPart>(&part, 1));
}

namespace {

// metadata.json of a checkpoint whose shard files are all in tmp_dir; `files` gets their names.
nlohmann::json checkpoint_metadata(const fs::path& tmp_dir, const ModelConfig& cfg,
                                   const CheckpointLayout& layout,
                                   const std::vector<std::string>& optimizer_state,
                                   const TrainState& state, std::vector<std::string>& files) {
  const ModelParallelConfig& mp = layout.model_parallel;
  nlohmann::json shards = nlohmann::json::array();
  for (const ShardOf& sh : all_shards(cfg, mp)) {
    const std::string file = shard_file_name(sh.tp_rank, sh.pp_rank, mp.tensor_model_parallel_size);
    if (!fs::exists(tmp_dir / file))
      throw error("[checkpoint] ", (tmp_dir / file).string(), ": missing at commit (shard tp ",
                  sh.tp_rank, ", pp ", sh.pp_rank, " was not saved)");
    nlohmann::json offsets = nlohmann::json::object(), ranges = nlohmann::json::array();
    for (const ParamSpec& s : sh.params.specs())
      if (s.split_dim >= 0) offsets[s.name] = s.split_offset;
    for (const LayerRange& r : sh.params.shard().layers) ranges.push_back({r.first, r.last});
    files.push_back(file);
    shards.push_back({{"file", file},
                      {"tp_rank", sh.tp_rank},
                      {"pp_rank", sh.pp_rank},
                      {"layers", ranges},
                      {"has_embedding", sh.params.shard().has_embedding},
                      {"has_head", sh.params.shard().has_head},
                      {"split_offsets", offsets}});
  }
  nlohmann::json tensors = nlohmann::json::object();
  const ParamLayout whole(cfg);
  for (const ParamSpec& s : whole.specs())
    tensors[s.name] = {{"global_shape", s.global_shape}, {"split", split_name(s.split_dim)}};
  nlohmann::json lj = layout_to_json(layout);
  lj["files"] = files;
  return {
      {"format", "ascent-checkpoint"},
      {"version", 2},
      {"iteration", state.iteration},
      {"consumed_train_samples", state.consumed_train_samples},
      {"optimizer_steps", state.optimizer_steps},
      {"optimizer_state", optimizer_state},
      {"seed", state.seed},
      {"layout", lj},
      {"model", model_config_to_json(cfg)},
      {"args", state.args},
      {"loss_scaler", state.loss_scaler},
      {"tensors", tensors},
      {"shards", shards},
  };
}

}  // namespace

void commit_checkpoint(const PendingCheckpoint& p, const ModelConfig& cfg,
                       const CheckpointLayout& layout,
                       const std::vector<std::string>& optimizer_state, const TrainState& state) {
  const fs::path root(p.save_dir), tmp_dir(p.tmp_dir);
  removing_tmp_on_error(tmp_dir, [&] {
    std::vector<std::string> listed;
    const nlohmann::json meta =
        checkpoint_metadata(tmp_dir, cfg, layout, optimizer_state, state, listed);
    checkpoint_step("checkpoint.write_metadata", tmp_dir / "metadata.json");
    write_text(tmp_dir / "metadata.json", meta.dump(2) + "\n");
    // The manifest is written last: a directory holding one is complete.
    nlohmann::json manifest = nlohmann::json::object();
    listed.push_back("metadata.json");
    for (const std::string& f : listed) {
      uint64_t size = 0;
      const std::string h = hash_file(tmp_dir / f, &size);
      manifest[f] = {{"size", size}, {"xxh3_64", h}};
    }
    checkpoint_step("checkpoint.write_manifest", tmp_dir / "manifest.json");
    write_text(tmp_dir / "manifest.json", nlohmann::json({{"files", manifest}}).dump(2) + "\n");
    checkpoint_step("checkpoint.fsync_tmp", tmp_dir);
    fsync_dir(tmp_dir);
  });
  // Into place (exchanging with an older copy of this iteration), then commit through the marker.
  const std::string replaced =
      install_checkpoint_dir(tmp_dir, root / iter_name(p.iteration), p.tag);
  checkpoint_step("checkpoint.fsync_root", root);
  fsync_dir(root);
  checkpoint_step("checkpoint.write_marker", root / kMarker);
  write_marker(p.save_dir, p.iteration);
  if (!replaced.empty()) {
    checkpoint_step("checkpoint.remove_replaced", replaced);
    fs::remove_all(replaced);
  }
}

void save_checkpoint(const std::string& save_dir, const ModelWeights& weights, Optimizer* opt,
                     const TrainState& state) {
  if (!weights.shard().is_whole(weights.config()))
    throw error("[checkpoint] ", save_dir, ": save_checkpoint writes a whole model; a shard is ",
                "written with save_checkpoint_shard + commit_checkpoint");
  const PendingCheckpoint p =
      pending_checkpoint(save_dir, state.iteration, std::to_string(::getpid()));
  begin_checkpoint(p);
  const CheckpointLayout layout;
  removing_tmp_on_error(p.tmp_dir, [&] { save_checkpoint_shard(p, layout, 0, weights, opt); });
  TrainState st = state;
  std::vector<std::string> names;
  if (opt) {
    st.optimizer_steps = opt->steps();
    for (const auto& [name, buf] : optimizer_state(opt)) names.push_back(name);
  }
  commit_checkpoint(p, weights.config(), layout, names, st);
}

bool is_ascent_checkpoint(const std::string& path) {
  const fs::path p(path);
  if (fs::exists(p / kMarker) || fs::exists(p / "metadata.json")) return true;
  for (const SaveDirEntry& e : list_save_dir(path))
    if (e.kind == SaveDirEntry::Kind::kCommitted || e.kind == SaveDirEntry::Kind::kReplaced)
      if (has_manifest(e.path)) return true;
  return false;
}

namespace {

// The layout part of metadata.json, for version 2 and for version 1 (one whole file).
void parse_layout(const nlohmann::json& meta, const std::string& what, CheckpointInfo& info) {
  const nlohmann::json& lj = meta.at("layout");
  info.layout = layout_from_json(lj);
  info.optimizer_state = meta.at("optimizer_state").get<std::vector<std::string>>();
  for (const auto& [name, t] : meta.at("tensors").items()) {
    CheckpointTensor ct;
    ct.global_shape = t.at("global_shape").get<std::vector<int64_t>>();
    ct.split_dim = parse_split(t.value("split", std::string("none")), what);
    info.tensors[name] = ct;
  }
  if (meta.contains("shards")) {
    for (const nlohmann::json& sj : meta.at("shards")) {
      CheckpointShardFile f;
      f.file = sj.at("file").get<std::string>();
      f.tp_rank = sj.at("tp_rank").get<int>();
      f.pp_rank = sj.at("pp_rank").get<int>();
      f.split_offsets = sj.value("split_offsets", std::map<std::string, int64_t>{});
      info.files.push_back(std::move(f));
    }
  } else {
    for (const std::string& file : lj.value("files", std::vector<std::string>{kWholeFile}))
      info.files.push_back({file, 0, 0, {}});
  }
  if (info.files.empty()) throw error("[checkpoint] ", what, ": no shard files listed");
}

// A counter of metadata.json (iteration, samples, steps): a JSON integer in [0, 2^53), the range
// every JSON reader keeps exactly. Throws naming the file and the field otherwise.
int64_t read_counter(const nlohmann::json& meta, const char* key, const std::string& what) {
  if (!meta.contains(key)) throw error("[checkpoint] ", what, ": field '", key, "' is missing");
  const nlohmann::json& v = meta[key];
  constexpr int64_t kLimit = int64_t{1} << 53;
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() >= kLimit) ||
      v.get<int64_t>() < 0 || v.get<int64_t>() >= kLimit)
    throw error("[checkpoint] ", what, ": field '", key, "' must be an integer in [0, 2^53), not ",
                v.dump());
  return v.get<int64_t>();
}

// Checkpoints from before the format field are accepted; a present field must be ours.
void check_format(const nlohmann::json& meta, const std::string& what) {
  if (meta.contains("format") && meta["format"] != "ascent-checkpoint")
    throw error("[checkpoint] ", what, ": format ", meta["format"].dump(),
                ", expected \"ascent-checkpoint\"");
  if (meta.contains("version") &&
      !(meta["version"].is_number_integer() && meta["version"].get<int64_t>() >= 1 &&
        meta["version"].get<int64_t>() <= 2))
    throw error("[checkpoint] ", what, ": version ", meta["version"].dump(),
                " is not one this build reads (1 or 2)");
}

// Opens one checkpoint directory: every file the manifest lists must have its size and hash.
CheckpointInfo open_checkpoint_dir(const fs::path& dir) {
  const nlohmann::json manifest = read_json(dir / "manifest.json");
  if (!manifest.contains("files") || !manifest["files"].is_object() || manifest["files"].empty())
    throw error("[checkpoint] ", (dir / "manifest.json").string(), ": no files listed");
  for (const auto& [file, want] : manifest["files"].items()) {
    // Only plain names of regular files inside the directory: a hostile manifest must not make
    // the loader hash files elsewhere or block on a FIFO.
    if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos)
      throw error("[checkpoint] ", (dir / "manifest.json").string(), ": file name '", file,
                  "' is not a plain file name in the checkpoint directory");
    if (!want.is_object() || !want.contains("size") || !want["size"].is_number_unsigned() ||
        !want.contains("xxh3_64") || !want["xxh3_64"].is_string())
      throw error("[checkpoint] ", (dir / "manifest.json").string(), ": entry '", file,
                  "' needs an unsigned \"size\" and a string \"xxh3_64\"");
    const fs::path f = dir / file;
    if (!fs::exists(f)) throw error("[checkpoint] ", f.string(), ": missing (listed in manifest)");
    if (!fs::is_regular_file(f))
      throw error("[checkpoint] ", f.string(), ": not a regular file (listed in manifest)");
    uint64_t size = 0;
    const uint64_t want_size = want["size"].get<uint64_t>();
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
    check_format(meta, what);
    info.state.iteration = read_counter(meta, "iteration", what);
    info.state.consumed_train_samples = read_counter(meta, "consumed_train_samples", what);
    info.state.optimizer_steps = read_counter(meta, "optimizer_steps", what);
    info.state.seed = meta.at("seed").get<uint64_t>();
    info.state.args = meta.value("args", nlohmann::json::object());
    info.state.loss_scaler = meta.value("loss_scaler", nlohmann::json());
    parse_layout(meta, what, info);
    info.has_optimizer = !info.optimizer_state.empty();
  } catch (const nlohmann::json::exception& e) {
    throw error("[checkpoint] ", what, ": ", e.what());
  }
  for (const CheckpointShardFile& f : info.files)
    if (!manifest["files"].contains(f.file))
      throw error("[checkpoint] ", (dir / f.file).string(), ": shard file not in the manifest");
  return info;
}

// The newest complete checkpoint of save directory `path`: iter_N, or iter_N.old.{tag} when an
// interrupted re-save left only that copy. `reason`: why the marker's was not taken.
CheckpointInfo open_newest_complete(const std::string& path, const std::string& reason,
                                    bool had_marker) {
  std::vector<SaveDirEntry> entries = list_save_dir(path);
  std::stable_sort(
      entries.begin(), entries.end(), [](const SaveDirEntry& a, const SaveDirEntry& b) {
        if (a.iteration != b.iteration) return a.iteration > b.iteration;
        return a.kind == SaveDirEntry::Kind::kCommitted && b.kind != SaveDirEntry::Kind::kCommitted;
      });
  for (const SaveDirEntry& e : entries) {
    if (e.kind != SaveDirEntry::Kind::kCommitted && e.kind != SaveDirEntry::Kind::kReplaced)
      continue;
    if (!has_manifest(e.path)) continue;
    CheckpointInfo info;
    try {
      info = open_checkpoint_dir(e.path);
    } catch (const Error& err) {
      ASCENT_LOG_WARN("[checkpoint] {}: not falling back to {}: {}", path,
                      e.path.filename().string(), err.what());
      continue;
    }
    info.fallback_reason = reason;
    ASCENT_LOG_WARN("[checkpoint] {}: {}; loading {}, the newest complete checkpoint", path, reason,
                    e.path.filename().string());
    return info;
  }
  if (!had_marker)
    throw error("[checkpoint] ", path, ": no committed checkpoint (", kMarker,
                " is missing and this is not an iter_ directory)");
  throw error("[checkpoint] ", path, ": ", reason,
              ", and no complete checkpoint is there to fall back to");
}

}  // namespace

CheckpointInfo open_checkpoint(const std::string& path) {
  const fs::path root(path);
  const std::optional<int64_t> marker = read_marker(path);
  if (!marker && fs::exists(root / "metadata.json")) return open_checkpoint_dir(root);
  if (!marker) return open_newest_complete(path, std::string(kMarker) + " is missing", false);
  const fs::path dir = root / iter_name(*marker);
  // A manifest is written last, so a directory with one was complete: a mismatch is corruption,
  // reported rather than silently skipped.
  if (has_manifest(dir)) return open_checkpoint_dir(dir);
  const std::string reason =
      std::string(kMarker) + " names " + dir.filename().string() +
      (fs::exists(dir) ? ", which is incomplete (no manifest.json)" : " which does not exist");
  return open_newest_complete(path, reason, true);
}

void read_checkpoint_tensors(const CheckpointInfo& ckpt, const std::string& group,
                             const ParamLayout& layout, float* flat) {
  const std::string prefix = group == "model" ? "model/" : "optim/" + group + "/";
  if (group != "model" && std::find(ckpt.optimizer_state.begin(), ckpt.optimizer_state.end(),
                                    group) == ckpt.optimizer_state.end())
    throw error("[checkpoint] ", ckpt.dir, ": holds no optimizer state '", group, "'");
  std::vector<std::unique_ptr<safetensors::Reader>> readers(ckpt.files.size());
  auto reader = [&](size_t i) -> const safetensors::Reader& {
    if (!readers[i])
      readers[i] =
          std::make_unique<safetensors::Reader>((fs::path(ckpt.dir) / ckpt.files[i].file).string());
    return *readers[i];
  };
  std::vector<float> piece;
  for (const ParamSpec& s : layout.specs()) {
    const std::string name = prefix + s.name;
    auto meta = ckpt.tensors.find(s.name);
    if (meta == ckpt.tensors.end())
      throw error("[checkpoint] ", ckpt.dir, "/metadata.json: no tensor ", s.name,
                  " (the checkpoint is of another model)");
    if (meta->second.global_shape != s.global_shape)
      throw error("[checkpoint] ", ckpt.dir, ": tensor ", s.name, " has global shape ",
                  shape_str(meta->second.global_shape), ", the model expects ",
                  shape_str(s.global_shape));
    float* dst = flat + s.offset;
    const int64_t need = s.split_dim < 0 ? 1 : s.valid_extent();
    if (s.split_dim >= 0 && need < s.shape[s.split_dim])
      std::memset(dst, 0, sizeof(float) * static_cast<size_t>(s.numel));  // vocabulary padding
    int64_t covered = 0;
    std::set<int64_t> offsets_seen;
    for (size_t i = 0; i < ckpt.files.size() && covered < need; ++i) {
      const safetensors::Reader& r = reader(i);
      const safetensors::TensorInfo* t = r.find(name);
      if (!t) continue;
      ParamSpec src = s;
      src.shape = t->shape;
      src.numel = t->numel;
      auto off = ckpt.files[i].split_offsets.find(s.name);
      src.split_offset = off == ckpt.files[i].split_offsets.end() ? 0 : off->second;
      // The slice must be the whole tensor or a range along this tensor's split dimension.
      bool ok = src.shape.size() == s.global_shape.size() && src.split_offset >= 0;
      for (size_t d = 0; ok && d < src.shape.size(); ++d)
        ok = static_cast<int>(d) == s.split_dim ? src.shape[d] > 0
                                                : src.shape[d] == s.global_shape[d];
      if (!ok || (src.split_dim >= 0 && !src.is_whole() && meta->second.split_dim != s.split_dim))
        throw error("[checkpoint] ", r.path(), ": tensor ", name, " has shape ",
                    shape_str(src.shape), " at offset ", src.split_offset,
                    ", which is no slice of global shape ", shape_str(s.global_shape));
      if (s.split_dim >= 0) {
        if (!offsets_seen.insert(src.split_offset).second) continue;  // a copy (tied head)
        const int64_t lo = std::max(src.split_offset, s.split_offset);
        const int64_t hi =
            std::min(src.split_offset + src.valid_extent(), s.split_offset + s.valid_extent());
        if (hi <= lo) continue;
      }
      piece.resize(static_cast<size_t>(t->numel));
      r.to_f32(*t, piece.data());
      const int64_t n = copy_overlap(src, piece.data(), s, dst);
      covered += s.split_dim < 0 ? 1 : n;
    }
    if (covered != need)
      throw error(
          "[checkpoint] ", ckpt.dir, ": tensor ", name,
          covered == 0 ? " is in no shard file" : " is not fully covered by the shard files");
  }
}

void load_checkpoint(const CheckpointInfo& ckpt, ModelWeights& weights, Optimizer* opt) {
  read_checkpoint_tensors(ckpt, "model", weights.layout(), weights.master());
  if (opt) {
    if (!ckpt.has_optimizer)
      throw error("[checkpoint] ", ckpt.dir, ": holds no optimizer state (use --finetune)");
    const OptimRange r = opt->range();
    const bool whole = r.begin == 0 && r.count == weights.size();
    Buffer full(whole ? 0 : static_cast<size_t>(weights.size()) * sizeof(float));
    for (auto& [sname, buf] : opt->state()) {
      if (whole) {
        read_checkpoint_tensors(ckpt, sname, weights.layout(), buf);
        continue;
      }
      // A ZeRO shard of the state: read this rank's tensors whole, keep the shard's range.
      float* f = static_cast<float*>(full.data());
      read_checkpoint_tensors(ckpt, sname, weights.layout(), f);
      std::copy(f + r.begin, f + r.begin + r.count, buf);
    }
    opt->set_steps(ckpt.state.optimizer_steps);
  }
  weights.refresh_compute();
}

}  // namespace ascent
