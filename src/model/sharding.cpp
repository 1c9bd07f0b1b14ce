#include "model/sharding.h"

#include "core/error.h"
#include "core/parse_number.h"

namespace ascent {

void check_tensor_parallel(const ModelConfig& cfg, int tp) {
  if (tp < 1) throw error("[model] --tensor-model-parallel-size must be positive, got ", tp);
  auto divides = [&](int64_t v, const char* flag) {
    if (v % tp != 0)
      throw error("[model] ", flag, " ", v, " is not divisible by --tensor-model-parallel-size ",
                  tp, " (each TP rank holds an equal share)");
  };
  divides(cfg.num_attention_heads, "--num-attention-heads");
  divides(cfg.num_query_groups, "--num-query-groups");
  divides(cfg.ffn_hidden_size, "--ffn-hidden-size");
}

std::vector<LayerRange> ShardSpec::resolved_layers(const ModelConfig& cfg) const {
  if (tp_rank < 0 || tp_rank >= tp_size)
    throw error("[model] shard: tp_rank ", tp_rank, " is not in [0, ", tp_size, ")");
  std::vector<LayerRange> out;
  int64_t prev_end = 0;
  for (LayerRange r : layers) {
    if (r.last == -1) r.last = cfg.num_layers;
    if (r.first < prev_end || r.first >= r.last || r.last > cfg.num_layers)
      throw error("[model] shard: layer range [", r.first, ", ", r.last, ") is empty, out of [0, ",
                  cfg.num_layers, ") or not after the previous one");
    prev_end = r.last;
    out.push_back(r);
  }
  return out;
}

void ShardSpec::validate(const ModelConfig& cfg) const {
  check_tensor_parallel(cfg, tp_size);
  resolved_layers(cfg);
}

bool ShardSpec::is_whole(const ModelConfig& cfg) const {
  const std::vector<LayerRange> r = resolved_layers(cfg);
  return tp_size == 1 && has_embedding && has_head && r.size() == 1 &&
         r[0] == LayerRange{0, cfg.num_layers};
}

void ModelParallelConfig::validate(const ModelConfig& cfg) const {
  const int64_t L = cfg.num_layers, pp = pipeline_model_parallel_size;
  check_tensor_parallel(cfg, tensor_model_parallel_size);
  if (pp < 1) throw error("[model] --pipeline-model-parallel-size must be positive, got ", pp);
  if (!manual_layers.empty()) {
    if (static_cast<int64_t>(manual_layers.size()) != pp)
      throw error("[model] --manual-layers has ", manual_layers.size(),
                  " entries, expected one per stage (--pipeline-model-parallel-size ", pp, ")");
    int64_t sum = 0;
    for (int64_t n : manual_layers) {
      if (n < 1) throw error("[model] --manual-layers: every stage needs at least one layer");
      sum += n;
    }
    if (sum != L)
      throw error("[model] --manual-layers sums to ", sum, ", expected --num-layers ", L);
  } else if (L % pp != 0) {
    throw error("[model] --num-layers ", L, " is not divisible by --pipeline-model-parallel-size ",
                pp, " (give an uneven split with --manual-layers)");
  }
  const int64_t chunk = num_layers_per_virtual_pipeline_stage;
  if (chunk < 0)
    throw error("[model] --num-layers-per-virtual-pipeline-stage must be positive, got ", chunk);
  if (chunk > 0) {
    if (pp < 2)
      throw error(
          "[model] --num-layers-per-virtual-pipeline-stage needs "
          "--pipeline-model-parallel-size > 1");
    if (!manual_layers.empty())
      throw error(
          "[model] --num-layers-per-virtual-pipeline-stage cannot be combined with "
          "--manual-layers");
    if ((L / pp) % chunk != 0)
      throw error("[model] --num-layers-per-virtual-pipeline-stage ", chunk,
                  " does not divide the ", L / pp, " layers of each pipeline stage");
  }
}

int ModelParallelConfig::virtual_stages(const ModelConfig& cfg) const {
  const int64_t chunk = num_layers_per_virtual_pipeline_stage;
  if (chunk <= 0) return 1;
  return static_cast<int>(cfg.num_layers / pipeline_model_parallel_size / chunk);
}

LayerRange ModelParallelConfig::stage_layers(const ModelConfig& cfg, int pp_rank, int chunk) const {
  const int pp = pipeline_model_parallel_size;
  if (pp_rank < 0 || pp_rank >= pp || chunk < 0 || chunk >= virtual_stages(cfg))
    throw error("[model] stage ", pp_rank, " chunk ", chunk, " does not exist with ", pp,
                " stages of ", virtual_stages(cfg), " chunks");
  if (num_layers_per_virtual_pipeline_stage > 0) {
    const int64_t size = num_layers_per_virtual_pipeline_stage;
    const int64_t first = (static_cast<int64_t>(chunk) * pp + pp_rank) * size;
    return {first, first + size};
  }
  if (!manual_layers.empty()) {
    int64_t first = 0;
    for (int p = 0; p < pp_rank; ++p) first += manual_layers[p];
    return {first, first + manual_layers[pp_rank]};
  }
  const int64_t per = cfg.num_layers / pp;
  return {pp_rank * per, (pp_rank + 1) * per};
}

ShardSpec ModelParallelConfig::shard(const ModelConfig& cfg, int tp_rank, int pp_rank) const {
  validate(cfg);
  ShardSpec s;
  s.tp_rank = tp_rank;
  s.tp_size = tensor_model_parallel_size;
  s.layers.clear();
  for (int c = 0; c < virtual_stages(cfg); ++c) s.layers.push_back(stage_layers(cfg, pp_rank, c));
  s.has_embedding = pp_rank == 0;
  s.has_head = pp_rank == pipeline_model_parallel_size - 1;
  s.validate(cfg);
  return s;
}

ShardSpec ModelParallelConfig::chunk_shard(const ModelConfig& cfg, int tp_rank, int pp_rank,
                                           int chunk) const {
  validate(cfg);
  ShardSpec s;
  s.tp_rank = tp_rank;
  s.tp_size = tensor_model_parallel_size;
  s.layers = {stage_layers(cfg, pp_rank, chunk)};
  s.has_embedding = pp_rank == 0 && chunk == 0;
  s.has_head = pp_rank == pipeline_model_parallel_size - 1 && chunk == virtual_stages(cfg) - 1;
  s.validate(cfg);
  return s;
}

std::vector<int64_t> parse_manual_layers(const std::string& s) {
  std::string bad;
  auto layers = parse_int_list(s, &bad);
  if (!layers)
    throw error("[model] --manual-layers: '", bad, "' in '", s,
                "' is not a number (expected e.g. 5,6,6,5)");
  return std::move(*layers);
}

}  // namespace ascent
