#include "train/layout_report.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/log.h"
#include "parallel/memory_report.h"

namespace ascent {
namespace {

// This rank's figures: parameters, resident compute / master / gradient / optimizer bytes, the
// analytic total and the ZeRO shard.
std::vector<int64_t> rank_memory(const TrainArgs& args, const parallel::Topology& topo,
                                 const ModelWeights& weights, Optimizer& optimizer,
                                 const parallel::dp::GradSync& sync) {
  const int64_t N = weights.size();
  const OptimRange r = optimizer.range();
  const int states = static_cast<int>(optimizer.state().size());
  const bool separate_compute = weights.compute_dtype() != DType::F32;
  // ZeRO-1/2 keep the master and gradient buffers whole and shard the optimizer state; ZeRO-3
  // keeps shards of everything (plus, while a region runs, that region: "gather" below).
  const int64_t S = r.count;
  const bool z3 = args.zero() == 3, sharded_grads = args.zero() >= 2;
  parallel::MemoryInputs in;
  in.params = N;
  in.compute_dtype = weights.compute_dtype();
  in.optimizer_states = states;
  in.dp_size = topo.dp_size();
  in.dp_rank = topo.dp_rank();
  in.zero_stage = args.zero();
  in.gather_max = sync.largest_gather();
  in.gather_slots = 1;
  const parallel::MemoryReport rep = parallel::memory_report(in);
  return {N,
          separate_compute ? 2 * (z3 ? S : N) : 0,
          4 * (z3 ? S : N),
          4 * (sharded_grads ? S : N),
          4 * states * S,
          rep.total() - rep.scratch_bytes,
          rep.shard};
}

}  // namespace

void log_layout(const TrainArgs& args, const parallel::Topology& topo, const ModelWeights& weights,
                Optimizer& optimizer, const parallel::dp::GradSync& sync, int chunks) {
  std::vector<int64_t> mine = rank_memory(args, topo, weights, optimizer, sync);
  const int W = topo.world_size();
  std::vector<int64_t> all(mine.size() * W);
  topo.world().all_gather(mine.data(), static_cast<int64_t>(mine.size()), all.data());
  ASCENT_LOG_INFO(
      "layout: {} ranks = TP {} x DP {} x PP {}{}{}{}; ZeRO stage {}", W, topo.tp_size(),
      topo.dp_size(), topo.pp_size(), args.parallel.sequence_parallel ? ", sequence parallel" : "",
      chunks > 1 ? fmt::format(", {} virtual stages", chunks) : "",
      args.parallel.manual_mbs.empty() ? ""
                                       : ", manual micro-batch sizes " + args.parallel.manual_mbs,
      args.zero());
  const double mib = 1.0 / 1048576.0;
  for (int w = 0; w < W; ++w) {
    const int64_t* v = all.data() + w * mine.size();
    const parallel::Coord c = topo.layout().coord(w);
    ASCENT_LOG_INFO(
        " rank {} (tp {} dp {} pp {}): {} parameters; compute {:.2f} + master {:.2f} + "
        "grads {:.2f} + optimizer {:.2f} = {:.2f} MiB (analytic {:.2f} MiB; ZeRO shard {} "
        "elements)",
        w, c.tp, c.dp, c.pp, v[0], v[1] * mib, v[2] * mib, v[3] * mib, v[4] * mib,
        (v[1] + v[2] + v[3] + v[4]) * mib, v[5] * mib, v[6]);
  }
}

}  // namespace ascent
