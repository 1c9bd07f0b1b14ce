#pragma once
// What a tensor-parallel shard of the model needs from its TP group. model/ never sees MPI:
// parallel/tp implements this over a Comm (DESIGN.md section 2), and single-process runs pass no
// group at all.
//
// Megatron's TP (Shoeybi et al. 2019): column-parallel q/k/v and gate/up need nothing in forward
// and an all-reduce of their input gradient; row-parallel o and down all-reduce their output.
// With sequence parallelism (Korthikanti et al. 2022) the rows between blocks are split across the
// group: the all-reduce after o/down becomes a reduce-scatter, and the input of q/k/v and gate/up
// is all-gathered (and their input gradient reduce-scattered).
#include <cstdint>

namespace ascent {

class TensorParallelGroup {
 public:
  virtual ~TensorParallelGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // x[0, n) = sum (or max) over the group, in place.
  virtual void all_reduce_sum(float* x, int64_t n) const = 0;
  virtual void all_reduce_max(float* x, int64_t n) const = 0;
  // recv [size() * n] = every rank's send [n], in rank order.
  virtual void all_gather(const float* send, int64_t n, float* recv) const = 0;
  // recv [n] = sum over ranks of their send[rank() * n, (rank() + 1) * n).
  virtual void reduce_scatter_sum(const float* send, float* recv, int64_t n) const = 0;
};

// How a Transformer object runs its part of the model.
struct TensorParallelism {
  const TensorParallelGroup* group = nullptr;  // nullptr: the whole width on this rank
  bool sequence_parallel = false;             // --sequence-parallel (needs a group)

  int size() const { return group ? group->size() : 1; }
  int rank() const { return group ? group->rank() : 0; }
  bool active() const { return group && group->size() > 1; }
  bool sp() const { return sequence_parallel && active(); }
};

}  // namespace ascent
