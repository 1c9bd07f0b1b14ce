#pragma once
// AdamW over the model's flat buffers: f32 moments m and v shaped like the master weights,
// decoupled weight decay on matrices and embeddings only (never on norms or biases).
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "model/weights.h"

namespace ascent {

struct AdamWConfig {
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.f;
};

class AdamW {
 public:
  AdamW(const ModelWeights& weights, const AdamWConfig& cfg);

  // One step with learning rate lr on weights.grad() * grad_scale; updates the master weights
  // and refreshes the compute copy. Step count starts at 1.
  void step(ModelWeights& weights, float lr, float grad_scale = 1.f);

  int64_t steps() const { return step_; }
  float* m() const { return static_cast<float*>(m_.data()); }
  float* v() const { return static_cast<float*>(v_.data()); }

 private:
  struct Segment {
    int64_t offset, numel;
    bool decay;
  };
  AdamWConfig cfg_;
  Buffer m_, v_;
  std::vector<Segment> segments_;  // contiguous runs of the flat buffer with one decay setting
  int64_t step_ = 0;
};

}  // namespace ascent
