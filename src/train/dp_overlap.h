#pragma once
// Overlap of the data-parallel gradient all-reduce with the backward (plain DP and ZeRO-1 with
// one pipeline stage): during the step's last micro-batch, each region's gradients are final as
// soon as the region's backward ends, so the hook marks them ready in the bucketed GradReducer,
// which starts the all-reduce of every bucket that is complete while the backward goes on. With
// sequence parallelism the region's replicated gradients are first summed over the TP group.
#include "model/param_residency.h"
#include "model/tensor_parallel.h"
#include "model/weights.h"
#include "parallel/dp/grad_reducer.h"
#include "train/param_regions.h"

namespace ascent {

class DpOverlap final : public ParamResidency {
 public:
  DpOverlap(ModelWeights& weights, parallel::dp::GradReducer& reducer,
            const TensorParallelGroup* sp_group);

  // On for the backward of the step's last micro-batch only.
  void arm(bool on) { armed_ = on; }

  void acquire(ParamRegion, bool) override {}
  void release(ParamRegion r, bool backward) override;

 private:
  ModelWeights& w_;
  parallel::dp::GradReducer& reducer_;
  const TensorParallelGroup* sp_group_;
  ParamRegions regions_;  // the tied word embedding counted once, with the embedding
  bool armed_ = false;
};

}  // namespace ascent
