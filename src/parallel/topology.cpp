#include "parallel/topology.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ascent::parallel {

int ParallelConfig::data_parallel_size(int world_size) const {
  return world_size / (tensor_model_parallel_size * pipeline_model_parallel_size);
}

void ParallelConfig::validate(int world_size) const {
  if (tensor_model_parallel_size < 1)
    throw error("[parallel] --tensor-model-parallel-size must be >= 1, got ",
                tensor_model_parallel_size);
  if (pipeline_model_parallel_size < 1)
    throw error("[parallel] --pipeline-model-parallel-size must be >= 1, got ",
                pipeline_model_parallel_size);
  const int64_t mp = int64_t{tensor_model_parallel_size} * pipeline_model_parallel_size;
  if (world_size % mp != 0)
    throw error("[parallel] world size ", world_size, " is not divisible by ",
                "--tensor-model-parallel-size ", tensor_model_parallel_size, " x ",
                "--pipeline-model-parallel-size ", pipeline_model_parallel_size);
  if (!std::isfinite(distributed_timeout_minutes))
    throw error("[parallel] --distributed-timeout-minutes must be a finite number of minutes");
  if (ddp_bucket_size < 0)
    throw error("[parallel] --ddp-bucket-size must be >= 0 (0: default), got ", ddp_bucket_size);
  if (zero_stage < 0 || zero_stage > 3)
    throw error("[parallel] ZeRO stage must be 0, 1, 2 or 3, got ", zero_stage);
}

int64_t default_bucket_size(int dp_size) {
  return std::max<int64_t>(40'000'000, int64_t{1'000'000} * dp_size);
}

Coord Layout::coord(int world_rank) const {
  Coord c;
  c.tp = world_rank % tp;
  c.dp = (world_rank / tp) % dp;
  c.pp = world_rank / (tp * dp);
  return c;
}

std::vector<int> Layout::tp_group(int world_rank) const {
  Coord c = coord(world_rank);
  std::vector<int> g;
  for (c.tp = 0; c.tp < tp; ++c.tp) g.push_back(rank(c));
  return g;
}

std::vector<int> Layout::dp_group(int world_rank) const {
  Coord c = coord(world_rank);
  std::vector<int> g;
  for (c.dp = 0; c.dp < dp; ++c.dp) g.push_back(rank(c));
  return g;
}

std::vector<int> Layout::pp_group(int world_rank) const {
  Coord c = coord(world_rank);
  std::vector<int> g;
  for (c.pp = 0; c.pp < pp; ++c.pp) g.push_back(rank(c));
  return g;
}

std::vector<int> Layout::model_parallel_group(int world_rank) const {
  Coord c = coord(world_rank);
  std::vector<int> g;
  for (c.pp = 0; c.pp < pp; ++c.pp)
    for (c.tp = 0; c.tp < tp; ++c.tp) g.push_back(rank(c));
  return g;
}

std::vector<int> Layout::embedding_group(int world_rank) const {
  const Coord c = coord(world_rank);
  if (c.pp != 0 && c.pp != pp - 1) return {};
  std::vector<int> stages = pp_group(world_rank);
  if (pp == 1) return stages;
  return {stages.front(), stages.back()};
}

namespace {

// Splits world into the groups of `color` (MPI_UNDEFINED: no group), ordered by `key`.
Comm split(const Comm& world, int color, int key, const char* name) {
  MPI_Comm out = MPI_COMM_NULL;
  Watchdog::Scope scope(world.watchdog(), "comm_split", &world.name(), -1, world.size(), 0);
  MPI_Comm_split(world.handle(), color, key, &out);
  return Comm(out, name, world.watchdog());
}

}  // namespace

Topology::Topology(const ParallelConfig& cfg, Watchdog* watchdog) {
  int world_size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  cfg.validate(world_size);
  layout_.tp = cfg.tensor_model_parallel_size;
  layout_.pp = cfg.pipeline_model_parallel_size;
  layout_.dp = cfg.data_parallel_size(world_size);
  coord_ = layout_.coord(world_rank_);

  // A private duplicate keeps framework traffic apart from anything else using MPI_COMM_WORLD.
  MPI_Comm dup = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &dup);
  world_ = Comm(dup, "world", watchdog);

  const Layout& l = layout_;
  const Coord& c = coord_;
  tp_ = split(world_, c.pp * l.dp + c.dp, c.tp, "tp");
  dp_ = split(world_, c.pp * l.tp + c.tp, c.dp, "dp");
  pp_ = split(world_, c.dp * l.tp + c.tp, c.pp, "pp");
  mp_ = split(world_, c.dp, c.pp * l.tp + c.tp, "model_parallel");
  const bool in_embedding = c.pp == 0 || c.pp == l.pp - 1;
  embedding_ = split(world_, in_embedding ? c.dp * l.tp + c.tp : MPI_UNDEFINED, c.pp, "embedding");
}

}  // namespace ascent::parallel
