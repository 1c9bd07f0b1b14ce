#pragma once
// Pipeline schedules: the order in which one pipeline rank runs the forwards and backwards of a
// training step's micro-batches. Pure functions (no MPI), so every rank can compute any rank's
// list and tests can simulate the whole pipeline; PipelineRunner executes a list.
//
// Both follow Megatron-LM exactly (orders and warm-up counts), so a run is step-for-step
// comparable with Megatron's and uses the same activation memory:
//   1F1B: pp_size - pp_rank - 1 warm-up forwards (capped at M), then alternate one forward and
//         one backward, then the remaining backwards. Stage p stashes at most pp_size - p
//         micro-batches instead of M (GPipe).
//   interleaved: each rank holds `chunks` model chunks; chunk c of rank p is global virtual stage
//         c * pp_size + p. Forwards go in groups of pp_size micro-batches through chunk 0, then
//         chunk 1, ...; backwards the same with the chunks reversed. Warm-up is
//         (pp_size - pp_rank - 1) * 2 + (chunks - 1) * pp_size forwards (all of them when
//         M == pp_size), which shrinks the bubble by a factor `chunks` at the cost of more stash.
#include <cstdint>
#include <vector>

namespace ascent::parallel::pp {

enum class Op { Forward, Backward };

struct Action {
  Op op;
  int chunk;            // model chunk on this rank (0 without interleaving)
  int64_t micro_batch;  // index within the step, in [0, micro_batches)

  bool operator==(const Action&) const = default;
};

// Megatron-LM's non-interleaved 1F1B for rank pp_rank of pp_size stages (chunk is always 0).
// Requires 0 <= pp_rank < pp_size and micro_batches >= 0.
std::vector<Action> one_f_one_b(int pp_size, int pp_rank, int64_t micro_batches);

// Megatron-LM's interleaved schedule with `chunks` >= 1 model chunks per rank. micro_batches
// must be a multiple of pp_size (Megatron's rule); otherwise throws ascent::Error naming
// --num-layers-per-virtual-pipeline-stage and --global-batch-size.
std::vector<Action> interleaved(int pp_size, int pp_rank, int chunks, int64_t micro_batches);

// Evaluation: every chunk's forward of micro-batch 0, then of micro-batch 1, ... (no backward).
std::vector<Action> forward_only(int chunks, int64_t micro_batches);

// Megatron's number of warm-up forwards of the interleaved schedule (before the first backward).
int64_t interleaved_warmup(int pp_size, int pp_rank, int chunks, int64_t micro_batches);

// Largest number of (chunk, micro-batch) forwards done but not yet backwarded at any point of
// `actions`: the stashes (and received inputs) a stage must keep.
int64_t max_in_flight(const std::vector<Action>& actions);

}  // namespace ascent::parallel::pp
