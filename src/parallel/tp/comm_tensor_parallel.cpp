#include "parallel/tp/comm_tensor_parallel.h"

namespace ascent::parallel::tp {

void CommTensorParallel::all_reduce_sum(float* x, int64_t n) const {
  bytes_ += n * static_cast<int64_t>(sizeof(float));
  tp_.all_reduce(x, n, ReduceOp::Sum);
}

void CommTensorParallel::all_reduce_max(float* x, int64_t n) const {
  bytes_ += n * static_cast<int64_t>(sizeof(float));
  tp_.all_reduce(x, n, ReduceOp::Max);
}

void CommTensorParallel::all_gather(const float* send, int64_t n, float* recv) const {
  bytes_ += n * static_cast<int64_t>(sizeof(float));
  tp_.all_gather(send, n, recv);
}

void CommTensorParallel::reduce_scatter_sum(const float* send, float* recv, int64_t n) const {
  bytes_ += n * tp_.size() * static_cast<int64_t>(sizeof(float));
  tp_.reduce_scatter(send, recv, n);
}

}  // namespace ascent::parallel::tp
