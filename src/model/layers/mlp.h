#pragma once
// Feed-forward sub-layer: SwiGLU (fused gate/up projection) or GeLU (tanh), chosen when the model
// is built; the input projection is column-parallel, the down projection row-parallel, added
// into the residual stream through hidden dropout (backward must get the same ctx.dropout).
#include "model/config.h"
#include "model/layers/context.h"
#include "model/layers/parallel_linear.h"
#include "model/params.h"

namespace ascent {

struct MlpStash {
  Tensor h_c;  // [N, C] normed input, compute dtype
  Tensor u;    // [N, 2F] (SwiGLU: gate | up) or [N, F] (GeLU): pre-activation, f32
  Tensor a_c;  // [N, F] activation output, compute dtype
};

class Mlp {
 public:
  // A TP rank holds F / tp FFN columns.
  Mlp(const ModelConfig& cfg, const tp::Regions& regions);

  // The projection whose input forward takes (alloc_input places a norm's output for it).
  const tp::ColumnParallelLinear& input_projection() const { return in_; }

  // residual [rows, C] (+=) dropout(down(act(in(h)))) for h [rows, C] f32, this rank's rows of
  // the normed input (from input_projection().alloc_input). w: compute weights, m: f32 master
  // views (biases). Fills `st` from ctx.stash.
  void forward(const LayerContext& ctx, const Tensor& h, const BlockParams& w, const BlockParams& m,
               const Tensor& residual, MlpStash* st) const;
  // Gradient convention: parameter gradients in g (+=); returns dh [rows, C] (=) in ctx.scratch
  // with the other temporaries (the caller rewinds). dresidual [rows, C] is read only.
  Tensor backward(const LayerContext& ctx, const Tensor& dresidual, const BlockParams& w,
                  const MlpStash& st, const BlockParams& g) const;

 private:
  using ActForward = void (*)(const Tensor& u, const Tensor& a);
  using ActBackward = void (*)(const Tensor& da, const Tensor& u, const Tensor& du);
  int64_t F_, in_rows_;
  ActForward act_forward_;
  ActBackward act_backward_;
  tp::ColumnParallelLinear in_;
  tp::RowParallelLinear out_;
};

}  // namespace ascent
