#include "optim/sgd.h"

#include "kernels/kernels.h"

namespace ascent {

Sgd::Sgd(const ModelWeights& weights, const OptimConfig& cfg, OptimRange range)
    : Optimizer(weights, range), cfg_(cfg), segments_(clipped_segments(weights.layout())) {
  if (cfg_.momentum > 0.f) momentum_ = Buffer(DType::F32, range_.count);
}

void Sgd::step(ModelWeights& weights, float lr, float grad_scale, const float* range_grad) {
  ++steps_;
  float* mom = static_cast<float*>(momentum_.data());
  for (const DecaySegment& s : segments_) {
    const auto flat = [&](const float* p) {
      return p ? Tensor(const_cast<float*>(p), DType::F32, {s.numel}) : Tensor();
    };
    const int64_t k = s.offset - range_.begin;  // into range_grad and the momentum buffer
    kernels::sgd_step(lr, cfg_.momentum, s.decay ? cfg_.weight_decay : 0.f, grad_scale,
                      flat(weights.master() + s.offset),
                      flat(range_grad ? range_grad + k : weights.grad() + s.offset),
                      flat(mom ? mom + k : nullptr));
  }
  if (range_grad) {
    weights.refresh_compute(range_.begin, range_.count);
  } else {
    weights.refresh_compute();
  }
}

std::vector<std::pair<std::string, float*>> Sgd::state() {
  if (!momentum_.data()) return {};
  return {{"momentum", static_cast<float*>(momentum_.data())}};
}

}  // namespace ascent
