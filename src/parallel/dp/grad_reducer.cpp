#include "parallel/dp/grad_reducer.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "core/error.h"

namespace ascent::parallel::dp {

GradReducer::GradReducer(const Comm& dp, float* grad, int64_t numel, int64_t bucket_size, Mode mode,
                         std::vector<Range> shards)
    : dp_(dp), grad_(grad), numel_(numel), mode_(mode), shards_(std::move(shards)) {
  ASCENT_CHECK(bucket_size > 0 && bucket_size <= INT_MAX)
      << "[parallel] --ddp-bucket-size " << bucket_size << " must be in [1, 2^31)";
  ASCENT_CHECK(numel >= 0) << "[parallel] GradReducer over " << numel << " elements";
  for (int64_t end = numel; end > 0; end -= bucket_size) {
    const int64_t begin = std::max<int64_t>(0, end - bucket_size);
    Bucket b;
    b.range = {begin, end - begin};
    buckets_.push_back(std::move(b));
  }
  if (mode_ == Mode::ReduceScatter) {
    ASCENT_CHECK(static_cast<int>(shards_.size()) == dp.size())
        << "[parallel] ReduceScatter needs one shard per DP rank, got " << shards_.size();
    int64_t next = 0;
    for (const Range& s : shards_) {
      ASCENT_CHECK(s.begin == next && s.count >= 0) << "[parallel] shards must tile the buffer";
      next = s.end();
    }
    ASCENT_CHECK(next == numel) << "[parallel] shards cover " << next << " of " << numel;
    mine_ = shards_[dp.rank()];
    scratch_ =
        Buffer(static_cast<size_t>(std::max<int64_t>(mine_.count, 1)) * sizeof(float), false);
  }
}

void GradReducer::set_always_ready(const std::vector<Range>& ranges) {
  ASCENT_CHECK(next_launch_ == 0) << "[parallel] set_always_ready during a step";
  for (Bucket& b : buckets_) {
    b.always_ready = 0;
    for (const Range& r : ranges) b.always_ready += b.range.intersect(r).count;
    ASCENT_CHECK(b.always_ready <= b.range.count) << "[parallel] always-ready ranges overlap";
    b.ready = b.always_ready;
  }
}

void GradReducer::mark_ready(int64_t offset, int64_t count) {
  ASCENT_CHECK(offset >= 0 && count >= 0 && offset + count <= numel_)
      << "[parallel] mark_ready [" << offset << ", " << offset + count << ") outside " << numel_;
  if (count == 0) return;
  const int64_t size = buckets_[0].range.count;
  // Bucket i covers [numel - (i+1) size, numel - i size) (the last one may be short).
  const int64_t first = (numel_ - (offset + count)) / size, last = (numel_ - 1 - offset) / size;
  const Range r{offset, count};
  for (int64_t i = first; i <= last; ++i) {
    Bucket& b = buckets_[i];
    b.ready += b.range.intersect(r).count;
    ASCENT_CHECK(b.ready <= b.range.count)
        << "[parallel] gradient range [" << offset << ", " << offset + count
        << ") marked ready twice in one step (bucket " << i << ")";
  }
  launch_ready_prefix();
  // Nonblocking collectives only progress inside MPI calls: poke the oldest one in flight.
  while (next_test_ < next_launch_) {
    Bucket& b = buckets_[next_test_];
    if (!dp_.test(b.request)) break;
    complete(b);
    ++next_test_;
  }
}

void GradReducer::launch_ready_prefix() {
  while (next_launch_ < num_buckets() &&
         buckets_[next_launch_].ready == buckets_[next_launch_].range.count) {
    launch(buckets_[next_launch_++]);
  }
}

void GradReducer::launch(Bucket& b) {
  if (dp_.size() == 1) return;
  if (mode_ == Mode::AllReduce) {
    b.request = dp_.iall_reduce(grad_ + b.range.begin, b.range.count);
  } else {
    const Range piece = b.range.intersect(mine_);
    float* recv =
        static_cast<float*>(scratch_.data()) + (piece.empty() ? 0 : piece.begin - mine_.begin);
    b.request = dp_.ireduce_scatter(grad_ + b.range.begin, recv, piece_counts(b.range, shards_));
  }
}

void GradReducer::complete(Bucket& b) {
  if (dp_.size() == 1) return;
  const float n = static_cast<float>(dp_.size());
  if (mode_ == Mode::AllReduce) {
    float* g = grad_ + b.range.begin;
    for (int64_t i = 0; i < b.range.count; ++i) g[i] /= n;
  } else {
    const Range piece = b.range.intersect(mine_);
    const float* src = static_cast<const float*>(scratch_.data()) + (piece.begin - mine_.begin);
    float* dst = grad_ + piece.begin;
    for (int64_t i = 0; i < piece.count; ++i) dst[i] = src[i] / n;
  }
}

void GradReducer::finish() {
  while (next_launch_ < num_buckets()) launch(buckets_[next_launch_++]);
  for (; next_test_ < num_buckets(); ++next_test_) {
    Bucket& b = buckets_[next_test_];
    dp_.wait(b.request);
    complete(b);
  }
  for (Bucket& b : buckets_) b.ready = b.always_ready;
  next_launch_ = 0;
  next_test_ = 0;
}

}  // namespace ascent::parallel::dp
