#include "parallel/pp/schedule.h"

#include <algorithm>

#include "core/error.h"

namespace ascent::parallel::pp {
namespace {

void check_stage(int pp_size, int pp_rank, int64_t micro_batches) {
  ASCENT_CHECK(pp_size >= 1 && pp_rank >= 0 && pp_rank < pp_size)
      << "[pp] pipeline rank " << pp_rank << " of " << pp_size << " stages";
  ASCENT_CHECK(micro_batches >= 0) << "[pp] " << micro_batches << " micro-batches";
}

// The k-th forward (or backward) of the interleaved schedule, as Megatron-LM numbers them: k
// runs through groups of pp_size * chunks; within a group, pp_size consecutive micro-batches per
// chunk, chunks ascending for forwards and descending for backwards. Each chunk sees its
// micro-batches in increasing order (Megatron keeps them in per-chunk FIFO queues).
Action interleaved_action(Op op, int pp_size, int chunks, int64_t k) {
  const int64_t group_size = static_cast<int64_t>(pp_size) * chunks;
  const int64_t in_group = k % group_size;
  int chunk = static_cast<int>(in_group / pp_size);
  if (op == Op::Backward) chunk = chunks - 1 - chunk;
  const int64_t micro_batch = k / group_size * pp_size + k % pp_size;
  return {op, chunk, micro_batch};
}

}  // namespace

std::vector<Action> one_f_one_b(int pp_size, int pp_rank, int64_t micro_batches) {
  check_stage(pp_size, pp_rank, micro_batches);
  const int64_t warmup = std::min<int64_t>(pp_size - pp_rank - 1, micro_batches);
  const int64_t steady = micro_batches - warmup;
  std::vector<Action> actions;
  actions.reserve(2 * micro_batches);
  for (int64_t m = 0; m < warmup; ++m) actions.push_back({Op::Forward, 0, m});
  for (int64_t i = 0; i < steady; ++i) {
    actions.push_back({Op::Forward, 0, warmup + i});
    actions.push_back({Op::Backward, 0, i});
  }
  for (int64_t m = steady; m < micro_batches; ++m) actions.push_back({Op::Backward, 0, m});
  return actions;
}

int64_t interleaved_warmup(int pp_size, int pp_rank, int chunks, int64_t micro_batches) {
  check_stage(pp_size, pp_rank, micro_batches);
  ASCENT_CHECK(chunks >= 1) << "[pp] " << chunks << " model chunks per stage";
  const int64_t total = micro_batches * chunks;
  // Megatron: with exactly pp_size micro-batches, all forwards run before any backward.
  if (micro_batches == pp_size) return total;
  const int64_t warmup =
      static_cast<int64_t>(pp_size - pp_rank - 1) * 2 + static_cast<int64_t>(chunks - 1) * pp_size;
  return std::min(warmup, total);
}

std::vector<Action> interleaved(int pp_size, int pp_rank, int chunks, int64_t micro_batches) {
  check_stage(pp_size, pp_rank, micro_batches);
  ASCENT_CHECK(chunks >= 1) << "[pp] " << chunks << " model chunks per stage";
  if (micro_batches % pp_size != 0)
    throw error(
        "[pp] the interleaved schedule (--num-layers-per-virtual-pipeline-stage) needs a "
        "number of micro-batches that is a multiple of --pipeline-model-parallel-size ",
        pp_size, ", got ", micro_batches,
        " (--global-batch-size / (--micro-batch-size x data-parallel size))");
  const int64_t total = micro_batches * chunks;
  const int64_t warmup = interleaved_warmup(pp_size, pp_rank, chunks, micro_batches);
  std::vector<Action> actions;
  actions.reserve(2 * total);
  for (int64_t k = 0; k < warmup; ++k)
    actions.push_back(interleaved_action(Op::Forward, pp_size, chunks, k));
  for (int64_t k = 0; k < total - warmup; ++k) {
    actions.push_back(interleaved_action(Op::Forward, pp_size, chunks, warmup + k));
    actions.push_back(interleaved_action(Op::Backward, pp_size, chunks, k));
  }
  for (int64_t k = total - warmup; k < total; ++k)
    actions.push_back(interleaved_action(Op::Backward, pp_size, chunks, k));
  return actions;
}

int64_t max_in_flight(const std::vector<Action>& actions) {
  int64_t now = 0, most = 0;
  for (const Action& a : actions) {
    now += a.op == Op::Forward ? 1 : -1;
    most = std::max(most, now);
  }
  return most;
}

std::vector<Action> forward_only(int chunks, int64_t micro_batches) {
  ASCENT_CHECK(chunks >= 1 && micro_batches >= 0)
      << "[pp] forward of " << micro_batches << " micro-batches over " << chunks << " chunks";
  std::vector<Action> actions;
  for (int64_t m = 0; m < micro_batches; ++m)
    for (int c = 0; c < chunks; ++c) actions.push_back({Op::Forward, c, m});
  return actions;
}

}  // namespace ascent::parallel::pp
