#pragma once
// Megatron's tensor-parallel projections, each with its communication beside its math (the
// communication itself is the mode's, tp_regions.h). Weights are this rank's slice, HF
// nn.Linear convention (W is [out, in]); the mode was chosen when the model was built.
#include "core/tensor.h"
#include "model/layers/context.h"
#include "model/layers/tp_regions.h"

namespace ascent::tp {

// y = x W^T + b with W's output rows split over the group: q/k/v, gate/up, the LM head.
// Forward: the input rows are gathered (sequence parallel) before the matmul; backward: the
// input gradient, partial on each rank, is summed over the group (all-reduce or reduce-scatter).
class ColumnParallelLinear {
 public:
  explicit ColumnParallelLinear(const Regions& regions) : regions_(&regions) {}

  // A [rows, in] f32 tensor for the input the caller fills (a norm's output) and passes to
  // forward or gather_input: in ctx.stash when it is the operand backward reads, else scratch.
  Tensor alloc_input(const LayerContext& ctx, int64_t in) const;
  // The operand x_c [N, in] in ctx.compute (in ctx.stash: backward reads it) from this rank's
  // rows x [rows, in] f32: every rank's rows (with sequence parallelism), cast.
  Tensor gather_input(const LayerContext& ctx, const Tensor& x) const;
  // dx [N, in] f32 (this rank's partial input gradient, may be overwritten) -> this rank's rows
  // of its sum over the group: dx itself or a tensor in ctx.scratch.
  Tensor reduce_input_grad(const LayerContext& ctx, const Tensor& dx) const;

  // y [N, out] (=) x_c w_c^T (+ b when defined), x_c = gather_input(x). Returns x_c.
  Tensor forward(const LayerContext& ctx, const Tensor& x, const Tensor& w_c, const Tensor& b,
                 const Tensor& y) const;
  // Gradient convention: dw (+=), db (+=) when defined; returns dx [rows, in] (=), this rank's
  // rows of d loss / d x, in ctx.scratch (the caller rewinds). dy [N, out] f32 (read only),
  // x_c: forward's result.
  Tensor backward(const LayerContext& ctx, const Tensor& dy, const Tensor& x_c, const Tensor& w_c,
                  const Tensor& dw, const Tensor& db) const;

 private:
  const Regions* regions_;
};

// residual (+=) dropout(x W^T + b) with W's input columns split over the group: o_proj and
// down_proj, Megatron's bias-dropout-add into the residual stream. Forward: the partial
// products are summed over the group (all-reduce, or reduce-scatter to this rank's rows with
// sequence parallelism) before the bias (replicated) and the hidden dropout; backward: the
// output gradient is gathered (sequence parallel) before the matmuls.
class RowParallelLinear {
 public:
  explicit RowParallelLinear(const Regions& regions);

  // residual [rows, out] (+=) dropout(sum over the group of x_c w_c^T + b): x_c [N, in/tp],
  // w_c [out, in/tp] compute dtype, b [out] f32 when defined. Dropout probability
  // ctx.dropout.hidden with the mask stream of (ctx.dropout.layer, site). Temporaries in
  // ctx.scratch (rewound).
  void forward(const LayerContext& ctx, DropoutSite site, const Tensor& x_c, const Tensor& w_c,
               const Tensor& b, const Tensor& residual) const {
    forward_(*regions_, ctx, site, x_c, w_c, b, residual);
  }
  // Backward of forward for dresidual [rows, out] (read only; the masks are regenerated from
  // ctx.dropout). Gradient convention: dx (=) [N, in/tp] when defined, dw (+=), db (+=) when
  // defined (with sequence parallelism from this rank's rows only: the trainer sums replicated
  // gradients over the group). Temporaries in ctx.scratch (rewound).
  void backward(const LayerContext& ctx, DropoutSite site, const Tensor& dresidual,
                const Tensor& x_c, const Tensor& w_c, const Tensor& dx, const Tensor& dw,
                const Tensor& db) const;

 private:
  using Forward = void (*)(const Regions& regions, const LayerContext& ctx, DropoutSite site,
                           const Tensor& x_c, const Tensor& w_c, const Tensor& b,
                           const Tensor& residual);
  const Regions* regions_;
  Forward forward_;
};

}  // namespace ascent::tp
