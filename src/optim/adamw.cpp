#include "optim/adamw.h"

#include "kernels/kernels.h"

namespace ascent {

AdamW::AdamW(const ModelWeights& weights, const AdamWConfig& cfg)
    : cfg_(cfg), m_(DType::F32, weights.size()), v_(DType::F32, weights.size()) {
  // Merge neighbouring tensors with the same decay setting (padding between them is harmless:
  // its gradient is always zero).
  for (const ParamSpec& s : weights.layout().specs()) {
    if (!segments_.empty() && segments_.back().decay == s.weight_decay) {
      segments_.back().numel = s.offset + s.numel - segments_.back().offset;
    } else {
      segments_.push_back({s.offset, s.numel, s.weight_decay});
    }
  }
}

void AdamW::step(ModelWeights& weights, float lr, float grad_scale) {
  ++step_;
  kernels::AdamWArgs a;
  a.lr = lr;
  a.beta1 = cfg_.beta1;
  a.beta2 = cfg_.beta2;
  a.eps = cfg_.eps;
  a.step = step_;
  a.grad_scale = grad_scale;
  for (const Segment& s : segments_) {
    a.weight_decay = s.decay ? cfg_.weight_decay : 0.f;
    const size_t n = static_cast<size_t>(s.numel);
    kernels::adamw_step(a, weights.master() + s.offset, weights.grad() + s.offset, m() + s.offset,
                        v() + s.offset, n);
  }
  weights.refresh_compute();
}

}  // namespace ascent
