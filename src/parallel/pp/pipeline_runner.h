#pragma once
// PipelineRunner: runs one training step of a pipeline-parallel model on this rank: every
// forward and backward of the step's micro-batches in the schedule's order (schedule.h), with
// activations sent to the next stage and activation gradients to the previous one by
// nonblocking point-to-point operations through Comm (so the watchdog sees every wait).
//
// Transfers (pp = the pipeline group, V = chunks * pp.size() virtual stages):
//   forward of virtual stage v on micro-batch m: receive v-1's output from rank (r-1) mod pp
//     (not on v = 0); after the forward, send the output to rank (r+1) mod pp (not on v = V-1).
//   backward of v on m: receive v+1's input gradient from rank (r+1) mod pp (not on v = V-1);
//     after the backward, send the input gradient to rank (r-1) mod pp (not on v = 0).
// The receive for the next action that needs one is posted before the current action computes,
// so transfers overlap computation. A received input lives until its backward returns; its
// buffer then carries the input gradient out, and goes back to a pool once that send completes.
// The buffers in use at once are thus the schedule's max_in_flight plus three (the receives
// posted ahead) plus gradient sends not yet complete; they are kept from step to step.
//
// Only the main thread may call run() (MPI_THREAD_FUNNELED). If the model throws, the runner
// is left with transfers in flight and must not be used again.
#include <cstdint>
#include <memory>

#include "parallel/comm.h"
#include "parallel/pp/stage_model.h"
#include "parallel/pp/step_runner.h"

namespace ascent::parallel::pp {

class PipelineRunner final : public StepRunner {
 public:
  // pp: the pipeline group, kept by reference for the runner's lifetime. chunks >= 1: model
  // chunks per rank (virtual stages; 1 without interleaving).
  PipelineRunner(const Comm& pp, int chunks);
  ~PipelineRunner();
  PipelineRunner(const PipelineRunner&) = delete;
  PipelineRunner& operator=(const PipelineRunner&) = delete;

  // One training step: every forward and backward of `micro_batches` micro-batches on this
  // rank, 1F1B when chunks == 1, interleaved otherwise (then micro_batches must be a multiple
  // of pp.size(), or this throws ascent::Error on every rank alike). With one stage and one
  // chunk it runs forward then backward for each micro-batch. Collective over pp: every rank
  // calls it with the same micro_batches and a model of the same boundary sizes.
  void run(StageModel& model, int64_t micro_batches) override;
  // Evaluation (forward_only schedule): each output is sent before the next forward, inputs are
  // returned to the pool right after their forward.
  void run_forward(StageModel& model, int64_t micro_batches) override;

  // Bytes this rank sent in the last run() (for the benchmark's bytes-moved report).
  int64_t bytes_sent() const;
  // Boundary buffers the runner owns (in use or pooled for reuse): at most the schedule's
  // max_in_flight + 3 + the most gradient sends in flight at once.
  int buffers() const;

 private:
  struct State;
  const Comm& pp_;
  int chunks_;
  std::unique_ptr<State> state_;
};

}  // namespace ascent::parallel::pp
