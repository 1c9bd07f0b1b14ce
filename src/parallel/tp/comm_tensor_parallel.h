#pragma once
// The model's TensorParallelGroup (model/tensor_parallel.h) over a Comm: how tensor-parallel
// layers reach MPI without model/ depending on it.
#include "model/tensor_parallel.h"
#include "parallel/comm.h"

namespace ascent::parallel::tp {

class CommTensorParallel : public TensorParallelGroup {
 public:
  // tp: the tensor-parallel group (Topology::tp()), kept by the caller.
  explicit CommTensorParallel(const Comm& tp) : tp_(tp) {}

  int rank() const override { return tp_.rank(); }
  int size() const override { return tp_.size(); }
  void all_reduce_sum(float* x, int64_t n) const override;
  void all_reduce_max(float* x, int64_t n) const override;
  void all_gather(const float* send, int64_t n, float* recv) const override;
  void reduce_scatter_sum(const float* send, float* recv, int64_t n) const override;

  // Bytes this rank handed to collectives since construction (the benchmark's traffic count:
  // the payload of each call, not what the MPI algorithm moves internally).
  int64_t bytes() const { return bytes_; }

 private:
  const Comm& tp_;
  mutable int64_t bytes_ = 0;
};

}  // namespace ascent::parallel::tp
