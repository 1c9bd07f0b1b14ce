#pragma once
// The trainer's side of a pipeline step (parallel/pp/stage_model.h): this rank's model chunks
// (one Transformer each) run on the step's micro-batches, which every rank of the pipeline reads
// alike (the first stage needs the tokens, the last the targets, every stage the positions and
// attention segments). Each micro-batch's loss gradient is scaled so that the step computes the
// single-process objective: the mean over micro-batches of each one's mean token loss (weighted
// by its sample count when --manual-mbs makes them differ in size). In evaluation the same
// micro-batches run forward only, without dropout, and the loss is the sum of their mean token
// losses.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "data/batch.h"
#include "model/transformer.h"
#include "parallel/pp/stage_model.h"

namespace ascent {

enum class StageMode { kTrain, kEvaluate };

class TrainStageModel final : public parallel::pp::StageModel {
 public:
  // chunks: this rank's Transformers in chunk order, each with `slots` slots (the schedule's
  // micro-batches in flight). batches[m]: the step's micro-batches; dropout_seeds[m] their keys.
  // loss_scale multiplies every micro-batch's loss gradient (fp16 loss scaling).
  TrainStageModel(const std::vector<std::unique_ptr<Transformer>>& chunks, int slots,
                  const std::vector<data::Batch>& batches,
                  const std::vector<uint64_t>& dropout_seeds,
                  std::function<void(int)> on_chunk_done = {}, double loss_scale = 1.0,
                  StageMode mode = StageMode::kTrain);

  int64_t boundary_elements(int64_t m) const override;
  const float* forward(int chunk, int64_t m, const float* input) override;
  const float* backward(int chunk, int64_t m, const float* doutput) override;
  void chunk_backward_done(int chunk) override;

  // The step's objective on the last stage (0 elsewhere): sum over micro-batches of weight_m x
  // mean token loss of m (evaluation: of the mean token losses); and the tokens with a target.
  double loss() const { return loss_; }
  int64_t loss_tokens() const { return loss_tokens_; }

  // Gradient scale of micro-batch m: loss_scale x its weight / its tokens with a target.
  static std::vector<float> grad_scales(const std::vector<data::Batch>& batches, double loss_scale);

 private:
  MicroBatch view(int64_t m) const;

  const std::vector<std::unique_ptr<Transformer>>& chunks_;
  int slots_;
  const std::vector<data::Batch>& batches_;
  const std::vector<uint64_t>& seeds_;
  std::vector<float> scales_;
  std::vector<double> weights_;  // each micro-batch's share of the step's samples
  std::function<void(int)> on_chunk_done_;
  StageMode mode_;
  double loss_ = 0;
  int64_t loss_tokens_ = 0;
};

}  // namespace ascent
