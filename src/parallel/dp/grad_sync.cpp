#include "parallel/dp/grad_sync.h"

#include "core/error.h"
#include "parallel/dp/replica_sync.h"
#include "parallel/dp/sharded_sync.h"

namespace ascent::parallel::dp {

std::unique_ptr<GradSync> make_grad_sync(const GradSyncConfig& cfg, const Topology* topo,
                                         ModelWeights& weights, const TensorParallelGroup* tp) {
  ASCENT_CHECK(cfg.zero_stage == 0 || topo) << "ZeRO stage " << cfg.zero_stage << " without MPI";
  const TensorParallelGroup* sp_group =
      cfg.sequence_parallel && tp && tp->size() > 1 ? tp : nullptr;
  if (cfg.zero_stage >= 2) return std::make_unique<ShardedSync>(cfg, *topo, weights, sp_group);
  return std::make_unique<ReplicaSync>(cfg, topo, weights, sp_group);
}

Residency residency_for(int zero_stage) {
  return zero_stage == 3   ? Residency::kOnDemand
         : zero_stage == 2 ? Residency::kGradsOnDemand
                           : Residency::kResident;
}

}  // namespace ascent::parallel::dp
