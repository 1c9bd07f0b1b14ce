#pragma once
// AdamW (decoupled weight decay, Loshchilov & Hutter) with f32 moments.
#include <vector>

#include "core/tensor.h"
#include "optim/optimizer.h"

namespace ascent {

class AdamW : public Optimizer {
 public:
  AdamW(const ModelWeights& weights, const OptimConfig& cfg, OptimRange range = {});
  void step(ModelWeights& weights, float lr, float grad_scale,
            const float* range_grad = nullptr) override;
  std::vector<std::pair<std::string, float*>> state() override;

 private:
  float* m() const { return static_cast<float*>(m_.data()); }
  float* v() const { return static_cast<float*>(v_.data()); }
  OptimConfig cfg_;
  Buffer m_, v_;
  std::vector<DecaySegment> segments_;
};

}  // namespace ascent
