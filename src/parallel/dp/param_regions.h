#pragma once
// The flat-buffer ranges of each ParamRegion (model/param_residency.h) of a rank's shard: the
// embedding, each block, the head. Shared by the residency hooks of ZeRO-2/3 (train/
// zero_residency.h) and of the data-parallel overlap (train/dp_overlap.h).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/param_residency.h"
#include "model/weights.h"
#include "parallel/dp/zero.h"

namespace ascent::parallel::dp {

struct RegionRanges {
  std::vector<Range> ranges;      // flat ranges, ascending
  std::vector<Range> replicated;  // tensors TP replicates (summed under SP)
};

class ParamRegions {
 public:
  // tied_in_head: with tied embeddings, the head region also lists the word embedding (it is the
  // LM head; the region's users that gather parameters need it, those that count finished
  // gradients must not count it twice). merge_gaps: neighbouring tensors separated only by
  // alignment padding become one range (fewer, longer collectives; the padding is zero);
  // otherwise one range per tensor, padding excluded. deferred: tensors left out of every region.
  ParamRegions(const ModelWeights& weights, bool tied_in_head, bool merge_gaps,
               const std::vector<std::string>& deferred = {});

  const RegionRanges& operator[](ParamRegion r) const;
  int64_t largest() const { return largest_; }  // elements of the longest range

 private:
  RegionRanges embedding_, head_;
  std::map<int64_t, RegionRanges> blocks_;
  int64_t largest_ = 0;
};

}  // namespace ascent::parallel::dp
