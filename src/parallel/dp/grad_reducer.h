#pragma once
// GradReducer: data-parallel gradient reduction of one flat f32 gradient buffer, in buckets
// that start communicating while the backward is still running.
//
// The buffer [0, numel) is cut into buckets of `bucket_size` elements counted from the END,
// because the backward produces gradients in reverse layer order (LM head first, embedding
// last), i.e. from the end of the flat buffer toward its start. The backward calls
// mark_ready(offset, count) once the gradient of a range is final for this step; a bucket whose
// elements are all ready is launched as a nonblocking collective. Buckets are launched strictly
// in order (last bucket first) so that every rank issues the same collectives in the same order
// whatever order its marks come in; a ready bucket waits for the ones before it. finish() launches
// whatever is left, waits for everything and divides by the DP size.
//
// Modes:
//   AllReduce      (DP, ZeRO-1): afterwards grad[0, numel) holds the mean over DP ranks.
//   ReduceScatter  (ZeRO-2):     afterwards only this rank's shard `shards[dp_rank]` holds the
//                                 mean; the rest of the buffer keeps this rank's own gradient.
//
// With gradient accumulation, mark ranges only during the backward of the step's last
// micro-batch (the earlier ones just accumulate into the buffer). Marking is optional: finish()
// alone reduces everything, without overlap. Elements never marked (padding between tensors,
// frozen parameters) can be declared once with set_always_ready. The reducer is reused step
// after step: finish() re-arms it.
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "parallel/comm.h"
#include "parallel/dp/zero.h"

namespace ascent::parallel::dp {

class GradReducer {
 public:
  enum class Mode { AllReduce, ReduceScatter };

  // grad: the flat gradient buffer [numel], kept by the caller for the reducer's lifetime.
  // bucket_size > 0 elements (< 2^31). For ReduceScatter, `shards` partitions [0, numel) over
  // the ranks of dp (partition).
  GradReducer(const Comm& dp, float* grad, int64_t numel, int64_t bucket_size,
              Mode mode = Mode::AllReduce, std::vector<Range> shards = {});
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  // Ranges that count as ready at the start of every step (never marked by the backward).
  void set_always_ready(const std::vector<Range>& ranges);
  // The backward is done with grad[offset, offset + count) for this step. Each element must be
  // marked at most once per step. Launches every bucket that became launchable.
  void mark_ready(int64_t offset, int64_t count);
  // Launches the remaining buckets, waits for all, averages; then re-arms for the next step.
  void finish();

  int num_buckets() const { return static_cast<int>(buckets_.size()); }
  Range bucket(int i) const { return buckets_[i].range; }  // bucket 0 ends at numel
  int launched() const { return next_launch_; }

 private:
  struct Bucket {
    Range range;
    int64_t ready = 0;         // elements marked this step
    int64_t always_ready = 0;  // elements of set_always_ready ranges
    Request request;
  };
  void launch(Bucket& b);
  void complete(Bucket& b);
  void launch_ready_prefix();

  const Comm& dp_;
  float* grad_;
  int64_t numel_;
  Mode mode_;
  std::vector<Range> shards_;
  Range mine_;
  std::vector<Bucket> buckets_;
  int next_launch_ = 0;  // buckets [0, next_launch_) are in flight or done
  int next_test_ = 0;    // oldest bucket not yet seen complete (for progress polling)
  Buffer scratch_;       // ReduceScatter: receives this rank's piece of each bucket
};

}  // namespace ascent::parallel::dp
