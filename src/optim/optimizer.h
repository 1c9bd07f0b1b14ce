#pragma once
// Optimizers over the model's flat buffers. State buffers are flat f32 arrays shaped like the
// master weights, exposed by name so checkpoints save and restore them generically.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/weights.h"

namespace ascent {

struct OptimConfig {
  std::string name = "adam";  // --optimizer {adam, sgd}
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.01f;
  float momentum = 0.9f;      // --sgd-momentum
  void validate() const;      // throws naming the flag
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One step with learning rate lr on weights.grad() * grad_scale; updates the master weights
  // and refreshes the compute copy.
  virtual void step(ModelWeights& weights, float lr, float grad_scale) = 0;
  // Named state buffers, each weights.size() floats ("exp_avg", "exp_avg_sq", "momentum").
  virtual std::vector<std::pair<std::string, float*>> state() = 0;
  int64_t steps() const { return steps_; }
  void set_steps(int64_t s) { steps_ = s; }

 protected:
  int64_t steps_ = 0;
};

std::unique_ptr<Optimizer> make_optimizer(const OptimConfig& cfg, const ModelWeights& weights);

// Contiguous runs of the flat buffer sharing one weight-decay setting (no decay on norms and
// biases). Padding between tensors is included; its gradient is always zero.
struct DecaySegment {
  int64_t offset, numel;
  bool decay;
};
std::vector<DecaySegment> decay_segments(const ParamLayout& layout);

}  // namespace ascent
