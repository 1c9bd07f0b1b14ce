#include "model/layers/tp_regions.h"

#include "core/error.h"
#include "kernels/kernels.h"

namespace ascent::tp {
namespace {

// The whole width on this rank: every mapping is the identity.
class OneRank : public Regions {
 public:
  int size() const override { return 1; }
  int rank() const override { return 0; }
  bool splits_width() const override { return false; }
  int64_t rows(int64_t N) const override { return N; }
  int64_t row_begin(int64_t) const override { return 0; }
  void check_rows(int64_t) const override {}
  Arena& column_input_arena(const LayerContext& ctx) const override {
    return ctx.compute == DType::F32 ? *ctx.stash : *ctx.scratch;
  }
  Tensor gather_rows(const Tensor& x, Arena&) const override { return x; }
  Tensor reduce_rows(const Tensor& d, Arena&) const override { return d; }
  void reduce_rows_into(const Tensor& d, const Tensor& out) const override {
    kernels::copy(d, out);
  }
  void all_reduce_max(const Tensor&) const override {}
  void all_reduce_sum(const Tensor&) const override {}
};

// Heads, FFN columns and the vocabulary split over the group; every rank holds all rows.
class TensorParallel : public OneRank {
 public:
  explicit TensorParallel(const TensorParallelGroup& group) : group_(group) {}
  int size() const override { return group_.size(); }
  int rank() const override { return group_.rank(); }
  bool splits_width() const override { return true; }
  Tensor reduce_rows(const Tensor& d, Arena&) const override {
    group_.all_reduce_sum(d.f32(), d.numel());
    return d;
  }
  void reduce_rows_into(const Tensor& d, const Tensor& out) const override {
    group_.all_reduce_sum(d.f32(), d.numel());
    kernels::copy(d, out);
  }
  void all_reduce_max(const Tensor& x) const override { group_.all_reduce_max(x.f32(), x.numel()); }
  void all_reduce_sum(const Tensor& x) const override { group_.all_reduce_sum(x.f32(), x.numel()); }

 protected:
  const TensorParallelGroup& group_;
};

// TP with the rows between blocks (norms, dropout, residual stream) split along the sequence:
// N / size rows per rank, rank r holding rows [r * N / size, (r + 1) * N / size).
class SequenceParallel : public TensorParallel {
 public:
  using TensorParallel::TensorParallel;
  int64_t rows(int64_t N) const override { return N / size(); }
  int64_t row_begin(int64_t N) const override { return rows(N) * rank(); }
  void check_rows(int64_t N) const override {
    if (N % size() != 0)
      throw error("[model] --sequence-parallel: micro-batch of ", N,
                  " tokens is not divisible by --tensor-model-parallel-size ", size());
  }
  // The gathered rows are the operand: the stash keeps those, not this rank's.
  Arena& column_input_arena(const LayerContext& ctx) const override { return *ctx.scratch; }
  Tensor gather_rows(const Tensor& x, Arena& arena) const override {
    Tensor all = arena.alloc(DType::F32, {x.size(0) * size(), x.size(-1)});
    group_.all_gather(x.f32(), x.numel(), all.f32());
    return all;
  }
  Tensor reduce_rows(const Tensor& d, Arena& arena) const override {
    Tensor mine = arena.alloc(DType::F32, {d.size(0) / size(), d.size(-1)});
    group_.reduce_scatter_sum(d.f32(), mine.f32(), mine.numel());
    return mine;
  }
  void reduce_rows_into(const Tensor& d, const Tensor& out) const override {
    group_.reduce_scatter_sum(d.f32(), out.f32(), out.numel());
  }
};

}  // namespace

std::unique_ptr<Regions> make_regions(const TensorParallelism& tp) {
  if (tp.sequence_parallel && !tp.group)
    throw error("[model] --sequence-parallel needs a tensor-parallel group");
  if (tp.sp()) return std::make_unique<SequenceParallel>(*tp.group);
  if (tp.active()) return std::make_unique<TensorParallel>(*tp.group);
  return std::make_unique<OneRank>();
}

void set_rows(const Regions& regions, LayerContext& ctx) {
  ctx.held_rows = regions.rows(ctx.N());
  ctx.first_row = regions.row_begin(ctx.N());
}

}  // namespace ascent::tp
