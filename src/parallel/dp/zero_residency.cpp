#include "parallel/dp/zero_residency.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace ascent::parallel::dp {

ZeroResidency::ZeroResidency(int stage, ModelWeights& weights, const Sharding& sharding,
                             const TensorParallelGroup* sp_group,
                             const std::vector<std::string>& deferred)
    : stage_(stage),
      w_(weights),
      sharding_(sharding),
      sp_group_(sp_group),
      regions_(weights, /*tied_in_head=*/true, /*merge_gaps=*/true, deferred),
      grad_shard_(DType::F32, std::max<int64_t>(sharding.mine().count, 1)) {
  for (const std::string& name : deferred)
    ASCENT_CHECK(stage_ == 2) << "ZeRO-3 cannot defer " << name;
  if (stage_ == 3) gathered_ = Buffer(DType::F32, std::max<int64_t>(regions_.largest(), 1));
}

void ZeroResidency::acquire(ParamRegion r, bool) {
  if (stage_ < 3) return;  // parameters stay whole
  const float* shard = w_.master() + sharding_.mine().begin;
  float* gathered = static_cast<float*>(gathered_.data());
  for (const Range& x : regions_[r].ranges) {
    sharding_.gather(x, shard, gathered);
    std::memcpy(w_.master() + x.begin, gathered, static_cast<size_t>(x.count) * sizeof(float));
    w_.refresh_compute(x.begin, x.count);
  }
}

void ZeroResidency::drop_params(Range x) {
  const Range mine = sharding_.mine();
  const int64_t lo = std::min(x.end(), mine.begin), hi = std::max(x.begin, mine.end());
  if (lo > x.begin) w_.discard_params(x.begin, lo - x.begin);
  if (x.end() > hi) w_.discard_params(hi, x.end() - hi);
}

void ZeroResidency::release(ParamRegion r, bool backward) {
  const RegionRanges& g = regions_[r];
  if (backward) {
    if (sp_group_)
      for (const Range& x : g.replicated) sp_group_->all_reduce_sum(w_.grad() + x.begin, x.count);
    for (const Range& x : g.ranges) {
      sharding_.reduce_scatter_accumulate(x, w_.grad() + x.begin, grad_shard());
      w_.discard_grads(x.begin, x.count);
    }
  }
  if (stage_ == 3)
    for (const Range& x : g.ranges) drop_params(x);
}

void ZeroResidency::reduce(Range r) {
  sharding_.reduce_scatter_accumulate(r, w_.grad() + r.begin, grad_shard());
  w_.discard_grads(r.begin, r.count);
}

void ZeroResidency::drop_unowned() {
  if (stage_ == 3) drop_params({0, w_.size()});
  w_.discard_grads(0, w_.size());
}

}  // namespace ascent::parallel::dp
