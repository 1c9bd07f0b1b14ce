#include "parallel/dp/param_regions.h"

#include <algorithm>

#include "core/error.h"

namespace ascent::parallel::dp {

namespace {

// Appends [b, e) to ranges; with merge_gaps, merged with the last range when only an alignment
// gap separates them (gaps hold zeros, so gathering or reducing them is harmless).
void add_range(std::vector<Range>& ranges, int64_t b, int64_t e, bool merge_gaps) {
  constexpr int64_t kGap = 64;  // alignment padding between tensors is smaller than this
  if (merge_gaps && !ranges.empty() && b >= ranges.back().end() &&
      b - ranges.back().end() <= kGap) {
    ranges.back().count = e - ranges.back().begin;
    return;
  }
  ranges.push_back({b, e - b});
}

}  // namespace

ParamRegions::ParamRegions(const ModelWeights& weights, bool tied_in_head, bool merge_gaps,
                           const std::vector<std::string>& deferred) {
  const bool tied = weights.config().tied_embeddings;
  for (const ParamSpec& s : weights.layout().specs()) {
    if (std::find(deferred.begin(), deferred.end(), s.name) != deferred.end()) continue;
    std::vector<RegionRanges*> into;
    if (s.layer >= 0) {
      into.push_back(&blocks_[s.layer]);
    } else if (s.name.rfind("model.embed", 0) == 0) {
      // On a last stage without the embedding, a tied word embedding is only the head.
      const bool word = s.name == "model.embed_tokens.weight";
      if (!word || weights.shard().has_embedding) into.push_back(&embedding_);
      if (tied && word && (tied_in_head || !weights.shard().has_embedding)) into.push_back(&head_);
    } else {
      into.push_back(&head_);  // model.norm.*, lm_head.weight
    }
    for (RegionRanges* r : into) {
      add_range(r->ranges, s.offset, s.offset + s.numel, merge_gaps);
      if (s.split_dim < 0) r->replicated.push_back({s.offset, s.numel});
    }
  }
  auto longest = [this](const RegionRanges& r) {
    for (const Range& x : r.ranges) largest_ = std::max(largest_, x.count);
  };
  longest(embedding_);
  longest(head_);
  for (const auto& [layer, r] : blocks_) longest(r);
}

const RegionRanges& ParamRegions::operator[](ParamRegion r) const {
  switch (r.kind) {
    case ParamRegion::Kind::kEmbedding:
      return embedding_;
    case ParamRegion::Kind::kHead:
      return head_;
    case ParamRegion::Kind::kBlock:
      break;
  }
  const auto it = blocks_.find(r.layer);
  ASCENT_CHECK(it != blocks_.end()) << "no parameters of layer " << r.layer << " on this rank";
  return it->second;
}

}  // namespace ascent::parallel::dp
