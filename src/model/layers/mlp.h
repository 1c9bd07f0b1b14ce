#pragma once
// Feed-forward sub-layer: SwiGLU (fused gate/up projection) or GeLU (tanh), chosen when the model
// is built; the down projection is added into the residual stream (through hidden dropout when
// ctx.dropout.hidden > 0; backward must get the same ctx.dropout).
#include "model/config.h"
#include "model/layers/context.h"
#include "model/params.h"

namespace ascent {

struct MlpStash {
  Tensor h_c;  // [N, C] normed input, compute dtype
  Tensor u;    // [N, 2F] (SwiGLU: gate | up) or [N, F] (GeLU): pre-activation, f32
  Tensor a_c;  // [N, F] activation output, compute dtype
};

class Mlp {
 public:
  // A TP rank (tp_size > 1) holds F / tp FFN columns: column-parallel gate/up (or in),
  // row-parallel down (model/tensor_parallel.h).
  explicit Mlp(const ModelConfig& cfg, int tp_size = 1);

  // residual (+=) dropout(down(act(in(h_c)))). w: compute weights, m: f32 master views (biases).
  void forward(const LayerContext& ctx, const Tensor& h_c, const BlockParams& w,
               const BlockParams& m, const Tensor& residual, MlpStash* st) const;
  // dh (=) [N, C]; parameter gradients in g (+=).
  void backward(const LayerContext& ctx, const Tensor& dresidual, const BlockParams& w,
                const MlpStash& st, const Tensor& dh, const BlockParams& g) const;

 private:
  using ActForward = void (*)(const Tensor& u, const Tensor& a);
  using ActBackward = void (*)(const Tensor& da, const Tensor& u, const Tensor& du);
  int64_t F_, in_rows_;
  ActForward act_forward_;
  ActBackward act_backward_;
};

}  // namespace ascent
