#include "checkpoint/hf_checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "checkpoint/safetensors.h"
#include "core/error.h"
#include "model/shard_copy.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

// How an HF tensor relates to the row concatenation of our tensors (an [R, K] matrix, or [R]).
enum class Transform {
  Copy,            // same element order
  Transpose,       // HF stores [K, R] (GPT-2 Conv1D weights are [in, out])
  HeadInterleave,  // rows [3, NH, HS] (q | k | v) stored as [NH, 3, HS] (Bloom query_key_value)
};

struct Mapping {
  std::string hf;                      // HF name, with "transformer." for Bloom / GPT-2
  std::vector<int64_t> shape;          // HF shape
  std::vector<const ParamSpec*> ours;  // concatenated along rows, in this order
  int64_t rows = 0, cols = 1;          // R, K of the concatenation
  Transform transform = Transform::Copy;
  int64_t heads = 0, head_size = 0;  // HeadInterleave only
};

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class MappingBuilder {
 public:
  MappingBuilder(const ModelConfig& cfg, const ParamLayout& layout) : cfg_(cfg), layout_(layout) {}

  // Maps HF tensor `hf` to the row concatenation of `ours`; skipped when ours[0] is not in the
  // layout (a bias this configuration does not have).
  void add(const std::string& hf, std::initializer_list<std::string> ours,
           Transform t = Transform::Copy) {
    const ParamSpec* first = layout_.find(*ours.begin());
    if (!first) return;
    Mapping m;
    m.hf = hf;
    m.transform = t;
    for (const std::string& name : ours) {
      const ParamSpec* s = layout_.find(name);
      ASCENT_CHECK(s && s->shape.size() == first->shape.size() &&
                   (s->shape.size() == 1 || s->shape[1] == first->shape[1]))
          << "fused HF tensor " << hf << " over mismatched parameter " << name;
      m.ours.push_back(s);
      m.rows += s->shape[0];
      ++covered_[name];
    }
    const bool matrix = first->shape.size() == 2;
    ASCENT_CHECK(matrix || t != Transform::Transpose) << "transposing 1-d " << hf;
    if (matrix) m.cols = first->shape[1];
    m.shape = !matrix                     ? std::vector<int64_t>{m.rows}
              : t == Transform::Transpose ? std::vector<int64_t>{m.cols, m.rows}
                                          : std::vector<int64_t>{m.rows, m.cols};
    if (t == Transform::HeadInterleave) {
      m.heads = cfg_.num_attention_heads;
      m.head_size = cfg_.head_size();
      ASCENT_CHECK(m.rows == 3 * m.heads * m.head_size) << "interleaved q/k/v rows of " << hf;
    }
    maps_.push_back(std::move(m));
  }

  // hf.weight <- our.weight (with transform) and hf.bias <- our.bias (as is).
  void add_wb(const std::string& hf, const std::string& our, Transform weight = Transform::Copy) {
    add(hf + ".weight", {our + ".weight"}, weight);
    add(hf + ".bias", {our + ".bias"});
  }

  // Every parameter must be mapped exactly once.
  std::vector<Mapping> finish() {
    for (const auto& s : layout_.specs())
      if (covered_[s.name] != 1)
        throw error("[hf] parameter '", s.name, "' has no ", hf_arch_name(cfg_.hf_arch),
                    " tensor (the config is not expressible as that architecture)");
    return std::move(maps_);
  }

 private:
  const ModelConfig& cfg_;
  const ParamLayout& layout_;
  std::vector<Mapping> maps_;
  std::map<std::string, int> covered_;
};

// LLaMA and InternLM: our names. Baichuan: q/k/v weights fused into W_pack.
void map_llama_like(MappingBuilder& b, const ModelConfig& cfg, const ParamLayout& layout) {
  const bool baichuan = cfg.hf_arch == HfArch::Baichuan;
  for (const auto& s : layout.specs()) {
    const std::string& n = s.name;
    if (baichuan && n.ends_with("self_attn.q_proj.weight")) {
      const std::string p = n.substr(0, n.size() - std::strlen("q_proj.weight"));
      b.add(p + "W_pack.weight", {p + "q_proj.weight", p + "k_proj.weight", p + "v_proj.weight"});
    } else if (!(baichuan && (n.ends_with("self_attn.k_proj.weight") ||
                              n.ends_with("self_attn.v_proj.weight")))) {
      b.add(n, {n});
    }
  }
}

void map_bloom(MappingBuilder& b, const ModelConfig& cfg) {
  const std::string T = "transformer.";
  b.add(T + "word_embeddings.weight", {"model.embed_tokens.weight"});
  b.add_wb(T + "word_embeddings_layernorm", "model.embed_layernorm");
  for (int64_t i = 0; i < cfg.num_layers; ++i) {
    const std::string h = T + "h." + std::to_string(i) + ".";
    const std::string p = "model.layers." + std::to_string(i) + ".";
    b.add_wb(h + "input_layernorm", p + "input_layernorm");
    for (const char* wb : {".weight", ".bias"})
      b.add(h + "self_attention.query_key_value" + wb,
            {p + "self_attn.q_proj" + wb, p + "self_attn.k_proj" + wb, p + "self_attn.v_proj" + wb},
            Transform::HeadInterleave);
    b.add_wb(h + "self_attention.dense", p + "self_attn.o_proj");
    b.add_wb(h + "post_attention_layernorm", p + "post_attention_layernorm");
    b.add_wb(h + "mlp.dense_h_to_4h", p + "mlp.up_proj");
    b.add_wb(h + "mlp.dense_4h_to_h", p + "mlp.down_proj");
  }
  b.add_wb(T + "ln_f", "model.norm");
  b.add("lm_head.weight", {"lm_head.weight"});
}

void map_gpt2(MappingBuilder& b, const ModelConfig& cfg) {
  const std::string T = "transformer.";
  b.add(T + "wte.weight", {"model.embed_tokens.weight"});
  b.add(T + "wpe.weight", {"model.embed_positions.weight"});
  for (int64_t i = 0; i < cfg.num_layers; ++i) {
    const std::string h = T + "h." + std::to_string(i) + ".";
    const std::string p = "model.layers." + std::to_string(i) + ".";
    b.add_wb(h + "ln_1", p + "input_layernorm");
    b.add(h + "attn.c_attn.weight",
          {p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
           p + "self_attn.v_proj.weight"},
          Transform::Transpose);
    b.add(h + "attn.c_attn.bias",
          {p + "self_attn.q_proj.bias", p + "self_attn.k_proj.bias", p + "self_attn.v_proj.bias"});
    b.add_wb(h + "attn.c_proj", p + "self_attn.o_proj", Transform::Transpose);
    b.add_wb(h + "ln_2", p + "post_attention_layernorm");
    b.add_wb(h + "mlp.c_fc", p + "mlp.up_proj", Transform::Transpose);
    b.add_wb(h + "mlp.c_proj", p + "mlp.down_proj", Transform::Transpose);
  }
  b.add_wb(T + "ln_f", "model.norm");
  b.add("lm_head.weight", {"lm_head.weight"});
}

std::vector<Mapping> mappings(const ModelConfig& cfg, const ParamLayout& layout,
                              const std::string& what) {
  check_hf_arch(cfg, what);
  MappingBuilder b(cfg, layout);
  switch (cfg.hf_arch) {
    case HfArch::Llama:
    case HfArch::InternLM:
    case HfArch::Baichuan:
      map_llama_like(b, cfg, layout);
      break;
    case HfArch::Bloom:
      map_bloom(b, cfg);
      break;
    case HfArch::GPT2:
      map_gpt2(b, cfg);
      break;
  }
  return b.finish();
}

// Row r of q | k | v ([3, NH, HS]) sits at this row of Bloom's [NH, 3, HS].
int64_t interleaved_row(const Mapping& m, int64_t r) {
  const int64_t part = r / (m.heads * m.head_size);
  const int64_t h = (r / m.head_size) % m.heads;
  const int64_t d = r % m.head_size;
  return (h * 3 + part) * m.head_size + d;
}

// ours: the [R, K] concatenation; hf: the HF tensor, both f32.
void ours_to_hf(const Mapping& m, const float* ours, float* hf) {
  const int64_t R = m.rows, K = m.cols;
  switch (m.transform) {
    case Transform::Copy:
      std::memcpy(hf, ours, sizeof(float) * R * K);
      return;
    case Transform::Transpose:
      for (int64_t r = 0; r < R; ++r)
        for (int64_t k = 0; k < K; ++k) hf[k * R + r] = ours[r * K + k];
      return;
    case Transform::HeadInterleave:
      for (int64_t r = 0; r < R; ++r)
        std::memcpy(hf + interleaved_row(m, r) * K, ours + r * K, sizeof(float) * K);
      return;
  }
}

void hf_to_ours(const Mapping& m, const float* hf, float* ours) {
  const int64_t R = m.rows, K = m.cols;
  switch (m.transform) {
    case Transform::Copy:
      std::memcpy(ours, hf, sizeof(float) * R * K);
      return;
    case Transform::Transpose:
      for (int64_t k = 0; k < K; ++k)
        for (int64_t r = 0; r < R; ++r) ours[r * K + k] = hf[k * R + r];
      return;
    case Transform::HeadInterleave:
      for (int64_t r = 0; r < R; ++r)
        std::memcpy(ours + r * K, hf + interleaved_row(m, r) * K, sizeof(float) * K);
      return;
  }
}

// Buffers HF checkpoints may carry that are not parameters.
bool ignorable(const std::string& name, const ModelConfig& cfg) {
  if (name.ends_with(".rotary_emb.inv_freq")) return true;
  if (name == "lm_head.weight" && cfg.tied_embeddings) return true;  // HF re-ties it on load
  if (cfg.hf_arch == HfArch::GPT2 && name.starts_with("transformer.h.")) {
    size_t i = std::strlen("transformer.h."), j = i;
    while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    const std::string rest = name.substr(j);
    return j > i && (rest == ".attn.bias" || rest == ".attn.masked_bias");
  }
  return false;
}

void convert_to(const std::vector<float>& src, DType dtype, std::vector<uint8_t>& bytes) {
  bytes.resize(src.size() * dtype_size(dtype));
  if (dtype == DType::F32) {
    std::memcpy(bytes.data(), src.data(), bytes.size());
    return;
  }
  std::vector<uint16_t> half(src.size());
  if (dtype == DType::BF16) {
    convert_f32_to_bf16(src.data(), half.data(), src.size());
  } else {
    convert_f32_to_f16(src.data(), half.data(), src.size());
  }
  std::memcpy(bytes.data(), half.data(), bytes.size());
}

bool is_weight_file(const std::string& name) {
  return name == "model.safetensors" || name == "model.safetensors.index.json" ||
         (name.starts_with("model-") && name.ends_with(".safetensors") &&
          name.find("-of-") != std::string::npos);
}

void sync_dir(const fs::path& dir) {
  FILE* f = std::fopen(dir.c_str(), "r");
  if (!f) return;
  fsync(fileno(f));  // best effort: makes a rename in dir durable
  std::fclose(f);
}

// HF tensors always hold the real vocabulary: mappings are built over the whole, unpadded model
// and moved in or out of the caller's layout (any shard, any padding) tensor by tensor.
ModelConfig unpadded(const ModelConfig& cfg) {
  ModelConfig c = cfg;
  c.make_vocab_size_divisible_by = 1;
  return c;
}

}  // namespace

DType load_hf_weights(const std::string& dir, const ModelConfig& model_cfg,
                      const ParamLayout& layout, float* flat) {
  const ModelConfig cfg = unpadded(model_cfg);
  const ParamLayout whole(cfg);
  const std::vector<Mapping> maps = mappings(cfg, whole, dir);
  const char* arch = hf_arch_name(cfg.hf_arch);
  const safetensors::ShardedReader set(dir);
  using Entry = safetensors::ShardedReader::Entry;

  // Bloom / GPT-2 are saved from the base model (no prefix) or the *ForCausalLM class.
  const bool prefixed = cfg.hf_arch == HfArch::Bloom || cfg.hf_arch == HfArch::GPT2;
  std::map<std::string, const Entry*> by_name;
  for (const auto& [name, e] : set.entries()) {
    const bool add = prefixed && !name.starts_with("transformer.") && name != "lm_head.weight";
    if (!by_name.emplace(add ? "transformer." + name : name, &e).second)
      throw error("[hf] ", e.file->path(), ": tensor '", name,
                  "' appears both with and without the 'transformer.' prefix");
  }

  // Check everything before touching flat.
  std::map<DType, int64_t> elements;
  std::set<std::string> used;
  for (const Mapping& m : maps) {
    auto it = by_name.find(m.hf);
    if (it == by_name.end())
      throw error("[hf] ", set.source(), ": missing tensor '", m.hf, "' (shape ",
                  shape_str(m.shape), ") of this ", arch, " config");
    const Entry& e = *it->second;
    const std::string where = "[hf] " + e.file->path() + ": tensor '" + e.info->name + "'";
    if (e.info->shape != m.shape)
      throw error(where, " has shape ", shape_str(e.info->shape), ", expected ", shape_str(m.shape),
                  " from config.json");
    elements[safetensors::to_dtype(e.info->dtype, where)] += e.info->numel;
    used.insert(m.hf);
  }
  for (const auto& [name, e] : by_name)
    if (!used.count(name) && !ignorable(name, cfg))
      throw error("[hf] ", e->file->path(), ": unexpected tensor '", e->info->name,
                  "' (not part of this ", arch, " config)");

  std::vector<float> hf, ours;
  for (const Mapping& m : maps) {
    const Entry& e = *by_name.at(m.hf);
    hf.resize(static_cast<size_t>(e.info->numel));
    ours.resize(hf.size());
    e.file->to_f32(*e.info, hf.data());
    hf_to_ours(m, hf.data(), ours.data());
    const float* src = ours.data();
    for (const ParamSpec* g : m.ours) {
      if (const ParamSpec* s = layout.find(g->name)) global_to_shard(*s, src, flat + s->offset);
      src += g->numel;
    }
  }
  DType most = DType::F32;
  int64_t most_n = -1;
  for (const auto& [dt, n] : elements) {
    if (n > most_n) {
      most = dt;
      most_n = n;
    }
  }
  return most;
}

std::vector<HfTensor> export_hf_tensors(const ModelConfig& model_cfg, const ParamLayout& layout,
                                        const float* flat, DType dtype) {
  const ModelConfig cfg = unpadded(model_cfg);
  const ParamLayout whole(cfg);
  std::vector<HfTensor> out;
  std::vector<float> ours, hf;
  for (const Mapping& m : mappings(cfg, whole, "export")) {
    ours.resize(static_cast<size_t>(m.rows * m.cols));
    hf.resize(ours.size());
    float* dst = ours.data();
    for (const ParamSpec* g : m.ours) {
      const ParamSpec* s = layout.find(g->name);
      if (!s || !s->is_whole())
        throw error("[hf] export needs the whole model, but tensor ", g->name,
                    s ? " is split across TP ranks" : " is not in this shard",
                    " (assemble the shards first, model/shard_copy.h)");
      shard_to_global(*s, flat + s->offset, dst);
      dst += g->numel;
    }
    ours_to_hf(m, ours.data(), hf.data());
    HfTensor t;
    t.name = m.hf;
    t.dtype = dtype;
    t.shape = m.shape;
    convert_to(hf, dtype, t.bytes);
    out.push_back(std::move(t));
  }
  return out;
}

void save_hf(const std::string& dir, const ModelConfig& cfg, const ParamLayout& layout,
             const float* flat, DType dtype, size_t max_shard_bytes) {
  const std::vector<HfTensor> tensors = export_hf_tensors(cfg, layout, flat, dtype);
  std::vector<safetensors::TensorRef> refs;
  for (const HfTensor& t : tensors)
    refs.push_back({t.name, safetensors::from_dtype(t.dtype), t.shape, t.bytes.data()});
  const safetensors::Metadata meta = {{"format", "pt"}};  // transformers requires it

  fs::path target = fs::absolute(dir);
  if (!target.has_filename()) target = target.parent_path();
  std::error_code ec;
  if (!fs::exists(target)) {
    std::string tmp_name = ".";  // (built piecewise: GCC 12 warns falsely on "." + string)
    tmp_name += target.filename().string();
    tmp_name += ".tmp-" + std::to_string(getpid());
    const fs::path tmp = target.parent_path() / tmp_name;
    fs::remove_all(tmp, ec);
    try {
      write_hf_config(tmp.string(), cfg, dtype);
      safetensors::write_sharded(tmp.string(), refs, max_shard_bytes, meta);
      fs::rename(tmp, target);
    } catch (const fs::filesystem_error& e) {
      fs::remove_all(tmp, ec);
      throw error("[hf] ", target.string(),
                  ": cannot move the new checkpoint into place: ", e.what());
    } catch (...) {
      fs::remove_all(tmp, ec);
      throw;
    }
    sync_dir(target.parent_path());
    return;
  }
  if (!fs::is_directory(target)) throw error("[hf] ", target.string(), ": not a directory");
  const std::vector<std::string> written =
      safetensors::write_sharded(target.string(), refs, max_shard_bytes, meta);
  write_hf_config(target.string(), cfg, dtype);
  const std::set<std::string> keep(written.begin(), written.end());
  for (const auto& entry : fs::directory_iterator(target)) {
    const std::string name = entry.path().filename().string();
    if (is_weight_file(name) && !keep.count(name)) fs::remove(entry.path(), ec);
  }
}

}  // namespace ascent
