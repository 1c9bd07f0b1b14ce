#include "optim/optimizer.h"

#include <algorithm>

#include "core/error.h"
#include "optim/adamw.h"
#include "optim/sgd.h"

namespace ascent {

void OptimConfig::validate() const {
  if (name != "adam" && name != "sgd")
    throw error("[optim] --optimizer '", name, "' is not one of adam, sgd");
  if (!(beta1 >= 0.f && beta1 < 1.f)) throw error("[optim] --adam-beta1 must be in [0, 1)");
  if (!(beta2 >= 0.f && beta2 < 1.f)) throw error("[optim] --adam-beta2 must be in [0, 1)");
  if (!(eps > 0.f)) throw error("[optim] --adam-eps must be > 0");
  if (!(weight_decay >= 0.f)) throw error("[optim] --weight-decay must be >= 0");
  if (!(momentum >= 0.f && momentum < 1.f)) throw error("[optim] --sgd-momentum must be in [0, 1)");
}

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
      << "optimizer range [" << range.begin << ", +" << range.count << ") of "
      << weights.size();
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
