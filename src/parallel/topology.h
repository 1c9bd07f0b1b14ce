#pragma once
// Topology: the TP x DP x PP arrangement of the world's ranks and one Comm per group.
//
// Ranks are arranged TP fastest, then DP, then PP (Megatron-LM's order):
//   world_rank = pp_rank * (tp * dp) + dp_rank * tp + tp_rank
// so a TP group is `tp` contiguous ranks (intra-node bandwidth), a DP group strides by tp and a PP
// group strides by tp * dp. Derived groups:
//   model-parallel: the tp * pp ranks sharing one dp_rank (one full model replica);
//   embedding:      the first and last stage of each pipeline (the tied embedding / LM head
//                   gradient is summed there); with one stage it is the rank alone.
// Layout computes all of this without MPI; Topology builds the communicators once with
// MPI_Comm_split and is passed by reference (no globals). The flags that choose the layout are
// parallel/parallel_config.h.
#include <cstdint>
#include <vector>

#include "parallel/comm.h"
#include "parallel/parallel_config.h"
#include "parallel/watchdog.h"

namespace ascent::parallel {

// Megatron's default bucket when overlapping the gradient reduction: max(40M, 1M * dp) elements.
int64_t default_bucket_size(int dp_size);

struct Coord {
  int tp = 0, dp = 0, pp = 0;
};

// The rank arithmetic of a tp x dp x pp layout (no MPI).
struct Layout {
  int tp = 1, dp = 1, pp = 1;

  int world_size() const { return tp * dp * pp; }
  Coord coord(int world_rank) const;
  int rank(Coord c) const { return c.pp * tp * dp + c.dp * tp + c.tp; }
  // World ranks of the groups containing world_rank, each in group-rank order.
  std::vector<int> tp_group(int world_rank) const;
  std::vector<int> dp_group(int world_rank) const;
  std::vector<int> pp_group(int world_rank) const;
  std::vector<int> model_parallel_group(int world_rank) const;
  // Empty when world_rank is neither the first nor the last pipeline stage.
  std::vector<int> embedding_group(int world_rank) const;
};

class Topology {
 public:
  // Collective over MPI_COMM_WORLD. Validates cfg against the world size (throws on every rank
  // alike). `watchdog` (may be null) watches every operation of every group.
  Topology(const ParallelConfig& cfg, Watchdog* watchdog);
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const Layout& layout() const { return layout_; }
  int world_rank() const { return world_rank_; }
  int world_size() const { return layout_.world_size(); }
  int tp_rank() const { return coord_.tp; }
  int dp_rank() const { return coord_.dp; }
  int pp_rank() const { return coord_.pp; }
  int tp_size() const { return layout_.tp; }
  int dp_size() const { return layout_.dp; }
  int pp_size() const { return layout_.pp; }
  bool is_first_stage() const { return coord_.pp == 0; }
  bool is_last_stage() const { return coord_.pp == layout_.pp - 1; }

  const Comm& world() const { return world_; }
  const Comm& tp() const { return tp_; }
  const Comm& dp() const { return dp_; }
  const Comm& pp() const { return pp_; }
  const Comm& model_parallel() const { return mp_; }
  // member() is false on middle pipeline stages.
  const Comm& embedding() const { return embedding_; }
  Watchdog* watchdog() const { return world_.watchdog(); }

 private:
  Layout layout_;
  int world_rank_ = 0;
  Coord coord_;
  Comm world_, tp_, dp_, pp_, mp_, embedding_;
};

}  // namespace ascent::parallel
