#pragma once
// StepRunner: runs a step's micro-batches through the part of the model this rank holds
// (StageModel), in a schedule chosen once per run: the local runner for one pipeline stage, the
// PipelineRunner (parallel/pp/pipeline_runner.h) for several. The trainer calls only this.
#include <cstdint>
#include <memory>

#include "parallel/pp/stage_model.h"

namespace ascent::parallel::pp {

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  // Training: every forward and backward of `micro_batches` micro-batches (StageModel's
  // contract), then chunk_backward_done for each chunk after its last backward.
  virtual void run(StageModel& model, int64_t micro_batches) = 0;
  // Evaluation: each micro-batch's forward through every virtual stage, in order; no backward.
  // The input handed to forward is valid during the call only.
  virtual void run_forward(StageModel& model, int64_t micro_batches) = 0;
};

// One stage holding one chunk: forward then backward of each micro-batch, no communication.
std::unique_ptr<StepRunner> make_local_runner();

}  // namespace ascent::parallel::pp
