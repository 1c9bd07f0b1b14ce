#pragma once
// Optimizers over the model's flat buffers. State buffers are flat f32 arrays shaped like the
// master weights, exposed by name so checkpoints save and restore them generically.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/flags.h"
#include "model/weights.h"

namespace ascent {

struct OptimConfig {
  std::string name = "adam";  // --optimizer {adam, sgd}
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.01f;
  float momentum = 0.9f;   // --sgd-momentum
  float clip_grad = 1.0f;  // --clip-grad: global gradient norm limit (0 = off; optim/grad_clip.h)

  // The flags above, bound to this instance (core/flags.h; optim/optim_flags.cpp).
  flags::Table flags();
  void validate() const;  // throws "[optim] --flag ..." ("[train] --clip-grad ...")
};

// Contiguous runs of the flat buffer sharing one weight-decay setting (no decay on norms and
// biases). Padding between tensors is included; its gradient is always zero.
struct DecaySegment {
  int64_t offset, numel;
  bool decay;
};
// The part of the flat buffer an optimizer updates and keeps state for: [begin, begin + count).
// The whole buffer by default; one data-parallel rank's shard under ZeRO (parallel/dp/zero.h).
struct OptimRange {
  int64_t begin = 0, count = -1;  // count -1: to the end of the buffer
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One step with learning rate lr on weights.grad() * grad_scale over range(); updates those
  // master weights and refreshes the compute copy. range_grad, when given, holds the gradients
  // instead (element i: flat element range().begin + i; a ZeRO-3 gradient shard), and only the
  // range's compute copy is refreshed.
  virtual void step(ModelWeights& weights, float lr, float grad_scale,
                    const float* range_grad = nullptr) = 0;
  // Named state buffers, each range().count floats ("exp_avg", "exp_avg_sq", "momentum"):
  // element i belongs to flat element range().begin + i.
  virtual std::vector<std::pair<std::string, float*>> state() = 0;
  int64_t steps() const { return steps_; }
  void set_steps(int64_t s) { steps_ = s; }
  OptimRange range() const { return range_; }

 protected:
  // Resolves count -1; throws when the range is not inside [0, weights.size()].
  Optimizer(const ModelWeights& weights, OptimRange range);
  // The decay segments of `layout` clipped to range(), offsets still into the flat buffer.
  std::vector<DecaySegment> clipped_segments(const ParamLayout& layout) const;
  int64_t steps_ = 0;
  OptimRange range_;
};

std::unique_ptr<Optimizer> make_optimizer(const OptimConfig& cfg, const ModelWeights& weights,
                                          OptimRange range = {});

std::vector<DecaySegment> decay_segments(const ParamLayout& layout);

}  // namespace ascent
