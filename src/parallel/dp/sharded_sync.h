#pragma once
// Gradient synchronisation under ZeRO-2 and ZeRO-3 (parallel/dp/grad_sync.h): the residency
// hooks (ZeroResidency) reduce-scatter each region's gradients into this rank's shard as the
// region's backward ends; the tied word embedding, summed over the pipeline stages first, is
// reduced in finish(). ZeRO-2 all-gathers the updated weights after the step; ZeRO-3 keeps only
// its shard and gathers each region when it is next used.
#include <memory>

#include "parallel/dp/grad_ranges.h"
#include "parallel/dp/grad_sync.h"
#include "parallel/dp/zero_residency.h"

namespace ascent::parallel::dp {

class ShardedSync final : public GradSync {
 public:
  ShardedSync(const GradSyncConfig& cfg, const Topology& topo, ModelWeights& weights,
              const TensorParallelGroup* sp_group);

  ParamResidency* hooks() override { return residency_.get(); }
  void zero_grad() override { residency_->zero_grad_shard(); }
  void finish() override;
  double grad_norm() const override;
  const float* optimizer_grad() const override { return residency_->grad_shard(); }
  Range optimizer_range() const override { return sharding_.mine(); }
  void after_step() override;
  const float* whole_state(const float* buf, Buffer& scratch) const override;
  void gather_weights() override;
  void drop_unowned() override { residency_->drop_unowned(); }
  int64_t largest_gather() const override;

 private:
  const Topology& topo_;
  ModelWeights& w_;
  int stage_;
  GradRanges ranges_;
  SharedGrads shared_;
  Sharding sharding_;
  std::unique_ptr<ZeroResidency> residency_;
};

}  // namespace ascent::parallel::dp
