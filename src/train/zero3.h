#pragma once
// ZeRO-3 for the trainer (--zero-stage 3): each data-parallel rank keeps only its shard of the
// master weights (parallel/dp/zero.h partition) and of the gradients; the transformer's
// residency hooks (model/param_residency.h) gather a region's parameters from every rank just
// before it runs (embedding, one block, head), and drop them right after. After a region's
// backward its gradients are reduce-scattered into each rank's gradient shard (mean over the
// data-parallel ranks), and the region's full gradients are dropped. The weights live in lazily
// mapped buffers (Residency::kOnDemand), so only the shard and the region in use take memory.
#include <cstdint>
#include <map>
#include <vector>

#include "core/tensor.h"
#include "model/param_residency.h"
#include "model/tensor_parallel.h"
#include "model/weights.h"
#include "parallel/dp/zero.h"

namespace ascent {

class Zero3Residency final : public ParamResidency {
 public:
  // weights: Residency::kOnDemand, sharded by `sharding` (kept by reference). sp_group: with
  // sequence parallelism, the TP group over which replicated gradients are summed first.
  Zero3Residency(ModelWeights& weights, const parallel::zero::Sharding& sharding,
                 const TensorParallelGroup* sp_group);

  void acquire(ParamRegion r, bool backward) override;
  void release(ParamRegion r, bool backward) override;

  // This rank's gradient shard: element i is flat element sharding.mine().begin + i.
  float* grad_shard() const { return static_cast<float*>(grad_shard_.data()); }
  void zero_grad_shard() { grad_shard_.zero(); }
  // Drops every parameter outside this rank's shard and every full gradient (after the whole
  // model was written: initialisation, loading, gathering for a checkpoint).
  void drop_unowned();
  // Elements of the largest region (what a rank materialises at once besides its shard).
  int64_t largest_region() const { return largest_; }

 private:
  struct Region {
    std::vector<parallel::zero::Range> ranges;  // flat ranges, ascending
    std::vector<parallel::zero::Range> replicated;  // tensors TP replicates (summed under SP)
  };
  const Region& region(ParamRegion r) const;
  // Drops the parameters of r outside this rank's shard.
  void drop_params(parallel::zero::Range r);

  ModelWeights& w_;
  const parallel::zero::Sharding& sharding_;
  const TensorParallelGroup* sp_group_;
  Region embedding_, head_;
  std::map<int64_t, Region> blocks_;
  int64_t largest_ = 0;
  Buffer gathered_;    // one range of parameters from every rank
  Buffer grad_shard_;  // [mine.count]
};

}  // namespace ascent
