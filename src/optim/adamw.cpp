#include "optim/adamw.h"

#include "kernels/kernels.h"

namespace ascent {

AdamW::AdamW(const ModelWeights& weights, const OptimConfig& cfg, OptimRange range)
    : Optimizer(weights, range),
      cfg_(cfg),
      m_(DType::F32, range_.count),
      v_(DType::F32, range_.count),
      segments_(clipped_segments(weights.layout())) {}

void AdamW::step(ModelWeights& weights, float lr, float grad_scale, const float* range_grad) {
  ++steps_;
  kernels::AdamWArgs a;
  a.lr = lr;
  a.beta1 = cfg_.beta1;
  a.beta2 = cfg_.beta2;
  a.eps = cfg_.eps;
  a.step = steps_;
  a.grad_scale = grad_scale;
  for (const DecaySegment& s : segments_) {
    a.weight_decay = s.decay ? cfg_.weight_decay : 0.f;
    const int64_t k = s.offset - range_.begin;  // into the state buffers
    const float* g = range_grad ? range_grad + k : weights.grad() + s.offset;
    const auto flat = [&](const float* p) {
      return Tensor(const_cast<float*>(p), DType::F32, {s.numel});
    };
    kernels::adamw_step(a, flat(weights.master() + s.offset), flat(g), flat(m() + k),
                        flat(v() + k));
  }
  if (range_grad) {
    weights.refresh_compute(range_.begin, range_.count);
  } else {
    weights.refresh_compute();
  }
}

std::vector<std::pair<std::string, float*>> AdamW::state() {
  return {{"exp_avg", m()}, {"exp_avg_sq", v()}};
}

}  // namespace ascent
