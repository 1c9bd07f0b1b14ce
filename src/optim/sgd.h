#pragma once
// SGD with optional momentum and (coupled, as torch.optim.SGD) weight decay on matrices only.
#include "core/tensor.h"
#include "optim/optimizer.h"

namespace ascent {

class Sgd : public Optimizer {
 public:
  Sgd(const ModelWeights& weights, const OptimConfig& cfg, OptimRange range = {});
  void step(ModelWeights& weights, float lr, float grad_scale,
            const float* range_grad = nullptr) override;
  std::vector<std::pair<std::string, float*>> state() override;

 private:
  OptimConfig cfg_;
  Buffer momentum_;
  std::vector<DecaySegment> segments_;
};

}  // namespace ascent
