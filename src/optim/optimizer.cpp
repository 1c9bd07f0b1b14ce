#include "optim/optimizer.h"

#include <algorithm>

#include "core/error.h"
#include "optim/adamw.h"
#include "optim/sgd.h"

namespace ascent {

std::unique_ptr<Optimizer> make_optimizer(const OptimConfig& cfg, const ModelWeights& weights,
                                          OptimRange range) {
  cfg.validate();
  if (cfg.name == "sgd") return std::make_unique<Sgd>(weights, cfg, range);
  return std::make_unique<AdamW>(weights, cfg, range);
}

Optimizer::Optimizer(const ModelWeights& weights, OptimRange range) : range_(range) {
  if (range_.count < 0) range_.count = weights.size() - range_.begin;
  ASCENT_CHECK(range_.begin >= 0 && range_.count >= 0 &&
               range_.begin + range_.count <= weights.size())
      << "optimizer range [" << range.begin << ", +" << range.count << ") of " << weights.size();
}

std::vector<DecaySegment> Optimizer::clipped_segments(const ParamLayout& layout) const {
  std::vector<DecaySegment> out;
  const int64_t lo = range_.begin, hi = range_.begin + range_.count;
  for (const DecaySegment& s : decay_segments(layout)) {
    const int64_t b = std::max(s.offset, lo), e = std::min(s.offset + s.numel, hi);
    if (b < e) out.push_back({b, e - b, s.decay});
  }
  return out;
}

std::vector<DecaySegment> decay_segments(const ParamLayout& layout) {
  std::vector<DecaySegment> segs;
  for (const ParamSpec& s : layout.specs()) {
    if (!segs.empty() && segs.back().decay == s.weight_decay) {
      segs.back().numel = s.offset + s.numel - segs.back().offset;
    } else {
      segs.push_back({s.offset, s.numel, s.weight_decay});
    }
  }
  return segs;
}

}  // namespace ascent
