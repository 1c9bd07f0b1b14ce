#include "train/zero_residency.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace ascent {

using parallel::zero::Range;

namespace {

// Appends [b, e) to ranges, merged with the last range when they touch or only an alignment gap
// separates them (gaps hold zeros, so gathering them is harmless).
void add_range(std::vector<Range>& ranges, int64_t b, int64_t e, int64_t gap) {
  if (!ranges.empty() && b - ranges.back().end() <= gap && b >= ranges.back().end()) {
    ranges.back().count = e - ranges.back().begin;
    return;
  }
  ranges.push_back({b, e - b});
}

}  // namespace

ZeroResidency::ZeroResidency(int stage, ModelWeights& weights,
                             const parallel::zero::Sharding& sharding,
                             const TensorParallelGroup* sp_group,
                             const std::vector<std::string>& deferred)
    : stage_(stage),
      w_(weights),
      sharding_(sharding),
      sp_group_(sp_group),
      grad_shard_(DType::F32, std::max<int64_t>(sharding.mine().count, 1)) {
  const ModelConfig& cfg = w_.config();
  constexpr int64_t kGap = 64;  // alignment padding between tensors is smaller than this
  for (const ParamSpec& s : w_.layout().specs()) {
    if (std::find(deferred.begin(), deferred.end(), s.name) != deferred.end()) {
      ASCENT_CHECK(stage_ == 2) << "ZeRO-3 cannot defer " << s.name;
      continue;
    }
    std::vector<Region*> into;
    if (s.layer >= 0) {
      into.push_back(&blocks_[s.layer]);
    } else if (s.name.rfind("model.embed", 0) == 0) {
      into.push_back(&embedding_);
      if (cfg.tied_embeddings && s.name == "model.embed_tokens.weight") into.push_back(&head_);
    } else {
      into.push_back(&head_);  // model.norm.*, lm_head.weight
    }
    for (Region* r : into) {
      add_range(r->ranges, s.offset, s.offset + s.numel, kGap);
      if (s.split_dim < 0) r->replicated.push_back({s.offset, s.numel});
    }
  }
  auto largest = [this](const Region& r) {
    for (const Range& x : r.ranges) largest_ = std::max(largest_, x.count);
  };
  largest(embedding_);
  largest(head_);
  for (const auto& [layer, r] : blocks_) largest(r);
  if (stage_ == 3) gathered_ = Buffer(DType::F32, std::max<int64_t>(largest_, 1));
}

const ZeroResidency::Region& ZeroResidency::region(ParamRegion r) const {
  switch (r.kind) {
    case ParamRegion::Kind::kEmbedding:
      return embedding_;
    case ParamRegion::Kind::kHead:
      return head_;
    case ParamRegion::Kind::kBlock:
      break;
  }
  const auto it = blocks_.find(r.layer);
  ASCENT_CHECK(it != blocks_.end()) << "ZeRO: no parameters of layer " << r.layer;
  return it->second;
}

void ZeroResidency::acquire(ParamRegion r, bool) {
  if (stage_ < 3) return;  // parameters stay whole
  const float* shard = w_.master() + sharding_.mine().begin;
  float* gathered = static_cast<float*>(gathered_.data());
  for (const Range& x : region(r).ranges) {
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
  const Region& g = region(r);
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

}  // namespace ascent
