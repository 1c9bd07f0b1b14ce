#include "parallel/dp/grad_ranges.h"

#include <algorithm>

namespace ascent::parallel::dp {
namespace {

std::vector<Range> gaps_between(std::vector<Range> covered, int64_t size) {
  std::sort(covered.begin(), covered.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::vector<Range> gaps;
  int64_t at = 0;
  for (const Range& r : covered) {
    if (r.begin > at) gaps.push_back({at, r.begin - at});
    at = std::max(at, r.end());
  }
  if (at < size) gaps.push_back({at, size - at});
  return gaps;
}

}  // namespace

GradRanges grad_ranges(const ModelWeights& weights, bool tied_across_stages) {
  GradRanges g;
  const ParamLayout& layout = weights.layout();
  const bool tp_copy = layout.shard().tp_rank > 0;
  std::vector<Range> covered;
  for (const ParamSpec& s : layout.specs()) {
    const Range r{s.offset, s.numel};
    covered.push_back(r);
    const bool tied = tied_across_stages && s.name == "model.embed_tokens.weight";
    const bool replicated = s.split_dim < 0;
    if (!(replicated && tp_copy) && !(tied && !layout.shard().has_embedding))
      g.counted.push_back(r);
    if (tied) g.tied.push_back(r);
    if (replicated) g.replicated.push_back(r);
  }
  g.gaps = gaps_between(std::move(covered), weights.size());
  return g;
}

SharedGrads::SharedGrads(const GradRanges& ranges, const Topology* topo,
                         const TensorParallelGroup* sp_group, ModelWeights& weights)
    : ranges_(ranges), topo_(topo), sp_(sp_group), w_(weights) {}

void SharedGrads::sum_tied() const {
  if (ranges_.tied.empty() || !topo_->embedding().member()) return;
  for (const Range& r : ranges_.tied) topo_->embedding().all_reduce(w_.grad() + r.begin, r.count);
}

void SharedGrads::sum_replicated(const std::vector<Range>& ranges) const {
  if (!sp_) return;
  for (const Range& r : ranges) sp_->all_reduce_sum(w_.grad() + r.begin, r.count);
}

void sum_replicated_grads(const ModelWeights& weights, const TensorParallelGroup& tp) {
  for (const Range& r : grad_ranges(weights, false).replicated)
    tp.all_reduce_sum(weights.grad() + r.begin, r.count);
}

}  // namespace ascent::parallel::dp
