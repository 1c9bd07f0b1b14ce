#include "train/memory_check.h"

#include <fmt/format.h>
#include <mpi.h>

#include "core/error.h"
#include "model/params.h"
#include "parallel/memory_report.h"

namespace ascent {
namespace {

std::string format_bytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024 * 1024)
    return fmt::format("{:.2f} TiB", b / (1024.0 * 1024 * 1024 * 1024));
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
  return fmt::format("{:.2f} MiB", b / (1024.0 * 1024));
}

int optimizer_states(const OptimConfig& o) {
  if (o.name == "sgd") return o.momentum != 0 ? 1 : 0;
  return 2;  // Adam: two moments
}

// Sums `bytes` and counts the ranks over the ranks sharing this machine's memory.
void sum_over_machine(const parallel::Topology& topo, ModelStateNeed& need) {
  MPI_Comm machine = MPI_COMM_NULL;
  MPI_Comm_split_type(topo.world().handle(), MPI_COMM_TYPE_SHARED, topo.world_rank(), MPI_INFO_NULL,
                      &machine);
  int64_t v[2] = {need.bytes, 1};
  MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_INT64_T, MPI_SUM, machine);
  MPI_Comm_free(&machine);
  need.bytes = v[0];
  need.ranks = static_cast<int>(v[1]);
}

}  // namespace

ModelStateNeed model_state_need(const TrainArgs& args, const ModelConfig& cfg,
                                const ShardSpec& shard, const parallel::Topology* topo) {
  cfg.validate();
  parallel::MemoryInputs in;
  in.params = ParamLayout(cfg, shard).total();
  in.compute_dtype = args.compute_dtype();
  in.optimizer_states = optimizer_states(args.optim);
  in.dp_size = topo ? topo->dp_size() : 1;
  in.dp_rank = topo ? topo->dp_rank() : 0;
  in.zero_stage = args.zero();
  const parallel::MemoryReport r = parallel::memory_report(in);
  ModelStateNeed need;
  need.params = in.params;
  need.bytes = r.total();
  need.detail =
      fmt::format("{} parameters: {} master weights + ", in.params, format_bytes(r.master_bytes));
  if (r.compute_bytes > 0) need.detail += format_bytes(r.compute_bytes) + " compute copy + ";
  need.detail += fmt::format("{} gradients + {} optimizer state", format_bytes(r.grad_bytes),
                             format_bytes(r.optimizer_bytes));
  if (topo) sum_over_machine(*topo, need);
  return need;
}

void check_model_state_fits(const ModelStateNeed& need,
                            const std::optional<AvailableMemory>& available) {
  if (!available || need.bytes <= available->bytes) return;
  throw error("[train] the model state needs ", format_bytes(need.bytes),
              need.ranks > 1 ? fmt::format(" for the {} ranks on this machine", need.ranks) : "",
              " (per rank ", need.detail, "; activations come on top) but only ",
              format_bytes(available->bytes), " is available (", available->source,
              "). Use a smaller model, split it over more ranks (--tensor-model-parallel-size, "
              "--pipeline-model-parallel-size, --zero-stage), or pass --skip-memory-check to "
              "try anyway");
}

}  // namespace ascent
