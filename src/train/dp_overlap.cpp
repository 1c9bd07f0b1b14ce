#include "train/dp_overlap.h"

namespace ascent {

DpOverlap::DpOverlap(ModelWeights& weights, parallel::dp::GradReducer& reducer,
                     const TensorParallelGroup* sp_group)
    : w_(weights), reducer_(reducer), sp_group_(sp_group),
      regions_(weights, /*tied_in_head=*/false, /*merge_gaps=*/false) {}

void DpOverlap::release(ParamRegion r, bool backward) {
  if (!backward || !armed_) return;
  const RegionRanges& g = regions_[r];
  if (sp_group_)
    for (const parallel::zero::Range& x : g.replicated)
      sp_group_->all_reduce_sum(w_.grad() + x.begin, x.count);
  for (const parallel::zero::Range& x : g.ranges) reducer_.mark_ready(x.begin, x.count);
}

}  // namespace ascent
