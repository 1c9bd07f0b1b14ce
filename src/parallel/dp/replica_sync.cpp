#include "parallel/dp/replica_sync.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ascent::parallel::dp {
namespace {

// The regions of each model chunk on this rank: its blocks, the embedding on chunk 0 of the
// first stage, the head on the last chunk of the last stage.
std::vector<std::vector<ParamRegion>> regions_of_chunks(const ModelWeights& w, int chunks) {
  const std::vector<LayerRange> ranges = w.shard().resolved_layers(w.config());
  std::vector<std::vector<ParamRegion>> out(chunks);
  for (int c = 0; c < chunks; ++c)
    for (int64_t l = ranges[c].first; l < ranges[c].last; ++l)
      out[c].push_back({ParamRegion::Kind::kBlock, l});
  if (w.shard().has_embedding) out.front().push_back({ParamRegion::Kind::kEmbedding, -1});
  if (w.shard().has_head) out.back().push_back({ParamRegion::Kind::kHead, -1});
  return out;
}

}  // namespace

ReplicaSync::ReplicaSync(const GradSyncConfig& cfg, const Topology* topo, ModelWeights& weights,
                         const TensorParallelGroup* sp_group)
    : topo_(topo),
      w_(weights),
      ranges_(
          grad_ranges(weights, topo && topo->pp_size() > 1 && weights.config().tied_embeddings)),
      shared_(ranges_, topo, sp_group, weights) {
  if (cfg.zero_stage == 1) sharding_ = std::make_unique<Sharding>(topo->dp(), w_.size());
  if (!topo || topo->dp_size() == 1) return;
  const int64_t bucket =
      cfg.bucket_size > 0 ? cfg.bucket_size : default_bucket_size(topo->dp_size());
  reducer_ = std::make_unique<GradReducer>(topo->dp(), w_.grad(), w_.size(),
                                           std::min<int64_t>(bucket, w_.size()));
  reducer_->set_always_ready(ranges_.gaps);
  overlap_ = topo->pp_size() == 1;
  per_chunk_ = !overlap_ && cfg.reduce_per_chunk;
  if (!marks()) return;
  // The tied word embedding waits for the sum over the stages (finish()); otherwise it is
  // counted once, with the embedding.
  std::vector<std::string> tied;
  if (!ranges_.tied.empty()) tied.push_back("model.embed_tokens.weight");
  regions_ = std::make_unique<ParamRegions>(w_, /*tied_in_head=*/false, /*merge_gaps=*/false, tied);
  if (per_chunk_) chunk_regions_ = regions_of_chunks(w_, cfg.chunks);
}

void ReplicaSync::begin_step(int64_t micro_batches) {
  micro_batches_ = micro_batches;
  released_.clear();
}

void ReplicaSync::mark_final(ParamRegion r) {
  const RegionRanges& g = (*regions_)[r];
  shared_.sum_replicated(g.replicated);
  for (const Range& x : g.ranges) reducer_->mark_ready(x.begin, x.count);
}

void ReplicaSync::release(ParamRegion r, bool backward) {
  if (!backward) return;
  // The last micro-batch's backward of the region: its gradients are final.
  if (++released_[{static_cast<int>(r.kind), r.layer}] == micro_batches_) mark_final(r);
}

void ReplicaSync::on_chunk_done(int chunk) {
  if (!per_chunk_) return;
  for (const ParamRegion& r : chunk_regions_[chunk]) mark_final(r);
}

void ReplicaSync::finish() {
  shared_.sum_tied();
  if (!marks()) shared_.sum_replicated();
  if (!reducer_) return;
  if (marks())
    for (const Range& r : ranges_.tied) reducer_->mark_ready(r.begin, r.count);
  reducer_->finish();
}

double ReplicaSync::grad_norm() const {
  if (!topo_) return std::sqrt(sum_squares(w_.grad(), w_.size()));
  if (sharding_) return sharding_->grad_norm(w_.grad(), &topo_->model_parallel(), ranges_.counted);
  double sq = 0;
  for (const Range& r : ranges_.counted) sq += sum_squares(w_.grad() + r.begin, r.count);
  topo_->model_parallel().all_reduce(&sq, 1);
  return std::sqrt(sq);
}

Range ReplicaSync::optimizer_range() const {
  return sharding_ ? sharding_->mine() : Range{0, w_.size()};
}

void ReplicaSync::after_step() {
  if (!sharding_) return;
  // Each rank updated its shard of the master weights; everyone gets every shard.
  sharding_->all_gather_params(w_.master());
  w_.refresh_compute();
}

const float* ReplicaSync::whole_state(const float* buf, Buffer& scratch) const {
  if (!sharding_) return buf;
  return gather_shards(*sharding_, buf, scratch);
}

}  // namespace ascent::parallel::dp
