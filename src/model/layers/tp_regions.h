#pragma once
// How one rank runs its part of the model's width, chosen once when the model is built:
// on its own (one rank), tensor-parallel (TP), or tensor- and sequence-parallel (TP + SP).
//
// A Regions object implements Megatron's region mappings (Shoeybi et al. 2019; Korthikanti et
// al. 2022) for its mode; the TP layer variants (parallel_linear.h, vocab_parallel_*.h) call
// them next to their math, so no forward or backward asks which mode it runs in:
//
//   mapping          one rank   TP                      TP + SP
//   gather_rows      identity   identity                all-gather of the sequence rows
//   reduce_rows      identity   all-reduce (in place)   reduce-scatter to this rank's rows
//
// A column-parallel input gathers its rows in forward and reduces its gradient in backward; a
// row-parallel output reduces in forward and gathers its gradient in backward (the pairs of
// Megatron's copy_to / reduce_from / gather_from / reduce_scatter_to regions).
#include <cstdint>
#include <memory>

#include "core/arena.h"
#include "core/tensor.h"
#include "model/layers/context.h"
#include "model/tensor_parallel.h"

namespace ascent::tp {

class Regions {
 public:
  virtual ~Regions() = default;

  virtual int size() const = 0;  // ranks sharing the width (1: one rank)
  virtual int rank() const = 0;
  // Whether this rank's results of a split width are partial and must be summed over the group
  // (vocabulary slices, row-parallel products). Asked when a layer is built, never in forward.
  virtual bool splits_width() const = 0;

  // The residual-stream rows this rank holds of a micro-batch of N rows, and the first of them.
  virtual int64_t rows(int64_t N) const = 0;
  virtual int64_t row_begin(int64_t N) const = 0;
  // Throws ascent::Error when N rows cannot be split this way.
  virtual void check_rows(int64_t N) const = 0;

  // Where the [rows, in] f32 input of a column-parallel projection should live so that its
  // operand, which backward reads, ends up in ctx.stash without a copy: in the stash when the
  // rows are the operand themselves (f32, not gathered), else in ctx.scratch.
  virtual Arena& column_input_arena(const LayerContext& ctx) const = 0;

  // x [rows, W] -> [N, W] f32: x itself, or every rank's rows in rank order, allocated in `arena`.
  virtual Tensor gather_rows(const Tensor& x, Arena& arena) const = 0;
  // d [N, W] f32 partial sums -> this rank's rows of their sum over the group: d itself (one
  // rank), d summed in place (TP), or a reduce-scatter into `arena` (SP).
  virtual Tensor reduce_rows(const Tensor& d, Arena& arena) const = 0;
  // out [rows, W] (=) the same rows of the sum; d may be overwritten.
  virtual void reduce_rows_into(const Tensor& d, const Tensor& out) const = 0;

  // x (=) its elementwise max / sum over the group, in place (nothing on one rank).
  virtual void all_reduce_max(const Tensor& x) const = 0;
  virtual void all_reduce_sum(const Tensor& x) const = 0;
};

// The mode of `tp`: one rank without a group (or a group of one), TP, or TP + SP. Throws
// ascent::Error for sequence parallelism without a group.
std::unique_ptr<Regions> make_regions(const TensorParallelism& tp);

// LayerContext rows of a micro-batch of ctx.N() rows under `regions` (sets held_rows, first_row).
void set_rows(const Regions& regions, LayerContext& ctx);

}  // namespace ascent::tp
