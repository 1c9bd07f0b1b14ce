#include "parallel/dp/sharded_sync.h"

#include <algorithm>
#include <string>
#include <vector>

namespace ascent::parallel::dp {

ShardedSync::ShardedSync(const GradSyncConfig& cfg, const Topology& topo, ModelWeights& weights,
                         const TensorParallelGroup* sp_group)
    : topo_(topo),
      w_(weights),
      stage_(cfg.zero_stage),
      ranges_(grad_ranges(weights, topo.pp_size() > 1 && weights.config().tied_embeddings)),
      shared_(ranges_, &topo, sp_group, weights),
      sharding_(topo.dp(), weights.size()) {
  // The tied word embedding is summed over the stages before it is reduced (finish()).
  std::vector<std::string> tied;
  if (!ranges_.tied.empty()) tied.push_back("model.embed_tokens.weight");
  residency_ = std::make_unique<ZeroResidency>(stage_, w_, sharding_, sp_group, tied);
}

void ShardedSync::finish() {
  // Everything else was reduced region by region during the backward.
  shared_.sum_tied();
  for (const Range& r : ranges_.tied) residency_->reduce(r);
}

double ShardedSync::grad_norm() const {
  return sharding_.shard_grad_norm(residency_->grad_shard(), &topo_.model_parallel(),
                                   ranges_.counted);
}

void ShardedSync::after_step() {
  // ZeRO-3 gathers the other ranks' shards when it next uses them.
  if (stage_ == 3) return;
  sharding_.all_gather_params(w_.master());
  w_.refresh_compute();
}

const float* ShardedSync::whole_state(const float* buf, Buffer& scratch) const {
  return gather_shards(sharding_, buf, scratch);
}

void ShardedSync::gather_weights() {
  if (stage_ == 3) sharding_.all_gather_params(w_.master());
}

int64_t ShardedSync::largest_gather() const {
  return stage_ == 3 ? residency_->largest_region() : 0;
}

}  // namespace ascent::parallel::dp
