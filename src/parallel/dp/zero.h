#pragma once
// ZeRO sharding of the flat parameter / gradient buffers over the data-parallel group
// (Rajbhandari et al. 2020; Megatron's distributed optimizer).
//
// partition() cuts [0, numel) into one contiguous shard per DP rank, in rank order. Shards start
// at multiples of `align` elements and are balanced: the buffer is counted in units of `align`
// elements and the first ranks get one unit more (the last shard may end early at numel). The
// flat buffer itself is never padded.
//
// Stage 1 (--use-distributed-optimizer): gradients are all-reduced in full (GradReducer
//   AllReduce); each rank keeps optimizer state for its shard only, updates params[mine()],
//   then all_gather_params() gives every rank the whole updated buffer.
// Stage 2: as 1, but gradients are reduce-scattered (GradReducer ReduceScatter): a rank only
//   ever reads grad[mine()].
// Stage 3: parameters live sharded too; a layer's range is gathered just in time (gather()),
//   used, and dropped; its gradient is reduce-scattered into the rank's gradient shard
//   (reduce_scatter_accumulate). parallel/dp/zero_residency.h does both around each region.
//
// The step itself, per rank (stage 1/2):
//   reducer.finish();                                  // grads averaged (whole or shard)
//   double norm = sharding.grad_norm(grad);            // global, across shards
//   float scale = clip_coefficient(norm, clip);        // optim/grad_clip.h
//   for each decay segment s: piece = Range{s}.intersect(mine()) ->
//     adamw_step(params + piece.begin, grad + piece.begin,
//                m + piece.begin - mine().begin, v + ..., piece.count)
//   sharding.all_gather_params(params);
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "parallel/comm.h"

namespace ascent::parallel::dp {

// Elements; 32 f32 = 128 bytes, two cache lines and any SIMD width.
constexpr int64_t kShardAlign = 32;

// A range of elements [begin, begin + count) of a flat buffer.
struct Range {
  int64_t begin = 0, count = 0;
  int64_t end() const { return begin + count; }
  bool empty() const { return count <= 0; }
  // The overlap of two ranges (count 0 when disjoint; begin is then meaningless).
  Range intersect(Range o) const;
  bool operator==(const Range& o) const = default;
};

// kernels::sum_squares of x[0, n) (host f32): the one deterministic sum of squares, so every
// layout and the single process reduce a gradient in the same order.
double sum_squares(const float* x, int64_t n);

// `parts` contiguous aligned balanced shards covering [0, numel) (some empty when
// numel < parts * align).
std::vector<Range> partition(int64_t numel, int parts, int64_t align = kShardAlign);
// How many elements of r each shard holds (the counts of a vector collective over r).
std::vector<int64_t> piece_counts(Range r, const std::vector<Range>& shards);

class Sharding {
 public:
  // Collective-free: every rank of dp computes the same partition of [0, numel).
  Sharding(const Comm& dp, int64_t numel, int64_t align = kShardAlign);

  const Comm& dp() const { return dp_; }
  int64_t numel() const { return numel_; }
  const std::vector<Range>& shards() const { return shards_; }
  Range shard(int dp_rank) const { return shards_[dp_rank]; }
  Range mine() const { return shards_[dp_.rank()]; }

  // L2 norm of the averaged gradient over the whole model: the sum of grad[x]^2 over this rank's
  // shard (over its intersection with `counted` when non-empty: the caller leaves out
  // parameters duplicated across tensor-parallel ranks), summed over dp and then over
  // `model_parallel` when given. Requires grad[mine()] to hold the averaged gradient.
  double grad_norm(const float* grad, const Comm* model_parallel = nullptr,
                   const std::vector<Range>& counted = {}) const;
  // The same from a compact gradient shard (stage 3): my_grad[i] is the gradient of element
  // mine().begin + i.
  double shard_grad_norm(const float* my_grad, const Comm* model_parallel = nullptr,
                         const std::vector<Range>& counted = {}) const;

  // Every rank's params[shard(r)] comes from rank r, in place: call after each rank updated its
  // shard. Works on buffers of any size (gathered in windows of < 2^30 elements).
  void all_gather_params(float* params) const;
  // The same for a bf16/f16 compute copy (raw bits).
  void all_gather_params(uint16_t* params) const;

  // Stage 3. out[0, r.count) = params[r], gathered from every rank's local shard
  // (local_shard[i] = params[mine().begin + i]). Collective over dp.
  void gather(Range r, const float* local_shard, float* out) const;
  // Stage 3. grad_shard[x - mine().begin] += mean over dp of grad_of_range[x - r.begin] for x in
  // r ∩ mine(). Collective over dp; grad_of_range is not modified.
  void reduce_scatter_accumulate(Range r, const float* grad_of_range, float* grad_shard) const;

 private:
  template <typename T>
  void all_gather_windows(T* params) const;

  const Comm& dp_;
  int64_t numel_;
  std::vector<Range> shards_;
  mutable Buffer scratch_;  // reduce_scatter_accumulate's receive buffer
};

// Every rank's shard of a flat buffer (this rank's in shard[0, mine().count)) gathered into
// `whole`, resized to sharding.numel() floats; returns its data. Collective over dp.
const float* gather_shards(const Sharding& sharding, const float* shard, Buffer& whole);

}  // namespace ascent::parallel::dp
