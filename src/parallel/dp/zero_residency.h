#pragma once
// ZeRO-2 and ZeRO-3 for the trainer, through the transformer's residency hooks
// (model/param_residency.h), region by region (embedding, one block, head):
//   stage 2 (--zero-stage 2): after a region's backward its gradients are reduce-scattered into
//     each data-parallel rank's gradient shard (parallel/dp/zero.h partition; mean over the
//     ranks) and the region's full gradients are dropped: gradient memory is the shard plus one
//     region.
//   stage 3 (--zero-stage 3): the same, and each rank also keeps only its shard of the master
//     weights; a region's parameters are gathered from every rank just before it runs and
//     dropped right after.
// Dropped ranges live in lazily mapped buffers (model/weights.h Residency), so they take no
// memory until written again.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/param_residency.h"
#include "model/tensor_parallel.h"
#include "model/weights.h"
#include "parallel/dp/param_regions.h"
#include "parallel/dp/zero.h"

namespace ascent::parallel::dp {

class ZeroResidency final : public ParamResidency {
 public:
  // stage 2 or 3. weights: gradients (stage 2) or everything (stage 3) on demand (Residency),
  // sharded by `sharding` (kept by reference). sp_group: with sequence parallelism, the TP group
  // over which replicated gradients are summed first.
  // deferred: tensors whose gradients the hooks leave alone (the word embedding tied across
  // pipeline stages, summed over the stages first); reduce() them once final.
  ZeroResidency(int stage, ModelWeights& weights, const Sharding& sharding,
                const TensorParallelGroup* sp_group, const std::vector<std::string>& deferred = {});
  int stage() const { return stage_; }

  void acquire(ParamRegion r, bool backward) override;
  void release(ParamRegion r, bool backward) override;

  // This rank's gradient shard: element i is flat element sharding.mine().begin + i.
  float* grad_shard() const { return static_cast<float*>(grad_shard_.data()); }
  void zero_grad_shard() { grad_shard_.zero(); }
  // Reduce-scatters grad[r] into the gradient shard and drops it (a deferred tensor).
  void reduce(Range r);
  // Stage 3: drops every parameter outside this rank's shard; both: every full gradient (after
  // the whole model was written: initialisation, loading, gathering for a checkpoint).
  void drop_unowned();
  // Elements of the largest region (what a rank materialises at once besides its shard).
  int64_t largest_region() const { return regions_.largest(); }

 private:
  // Drops the parameters of r outside this rank's shard.
  void drop_params(Range r);

  int stage_;
  ModelWeights& w_;
  const Sharding& sharding_;
  const TensorParallelGroup* sp_group_;
  ParamRegions regions_;
  Buffer gathered_;    // one range of parameters from every rank
  Buffer grad_shard_;  // [mine.count]
};

}  // namespace ascent::parallel::dp
