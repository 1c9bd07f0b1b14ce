#pragma once
// Gradient synchronisation when every data-parallel rank keeps the whole gradient buffer
// (ZeRO-0 and ZeRO-1; parallel/dp/grad_sync.h). With DP > 1 the buffer is averaged by bucketed
// all-reduce (GradReducer), overlapped with the backward: a region's gradients are marked ready
// when they are final for the step, which is
//   - one pipeline stage: its backward on the step's last micro-batch (the M-th release of the
//     region through the residency hooks);
//   - several stages with --foldx-mode aiao: the chunk's last backward (on_chunk_done);
//   - otherwise never: finish() reduces everything at once.
// ZeRO-1 (--use-distributed-optimizer) shards the optimizer state: each rank updates its shard
// of the weights and after_step() all-gathers them.
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "parallel/dp/grad_ranges.h"
#include "parallel/dp/grad_reducer.h"
#include "parallel/dp/grad_sync.h"
#include "parallel/dp/param_regions.h"

namespace ascent::parallel::dp {

class ReplicaSync final : public GradSync, private ParamResidency {
 public:
  ReplicaSync(const GradSyncConfig& cfg, const Topology* topo, ModelWeights& weights,
              const TensorParallelGroup* sp_group);

  ParamResidency* hooks() override { return overlap_ ? this : nullptr; }
  void zero_grad() override { w_.zero_grad(); }
  void begin_step(int64_t micro_batches) override;
  void on_chunk_done(int chunk) override;
  void finish() override;
  double grad_norm() const override;
  Range optimizer_range() const override;
  void after_step() override;
  const float* whole_state(const float* buf, Buffer& scratch) const override;

 private:
  void acquire(ParamRegion, bool) override {}
  void release(ParamRegion r, bool backward) override;
  // The region's gradients are final: replicated ones summed over the TP group, all marked.
  void mark_final(ParamRegion r);
  bool marks() const { return overlap_ || per_chunk_; }

  const Topology* topo_;
  ModelWeights& w_;
  GradRanges ranges_;
  SharedGrads shared_;
  std::unique_ptr<Sharding> sharding_;     // ZeRO-1
  std::unique_ptr<GradReducer> reducer_;   // DP > 1
  std::unique_ptr<ParamRegions> regions_;  // when regions are marked during the backward
  bool overlap_ = false, per_chunk_ = false;
  std::vector<std::vector<ParamRegion>> chunk_regions_;  // per_chunk_: each chunk's regions
  int64_t micro_batches_ = 1;
  std::map<std::pair<int, int64_t>, int64_t> released_;  // overlap_: backward releases per region
};

}  // namespace ascent::parallel::dp
