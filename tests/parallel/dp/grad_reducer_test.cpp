#include "parallel/dp/grad_reducer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "parallel/mpi_test_env.h"

namespace ascent::parallel {
namespace {

using testing::exact_value;
using testing::world;

// A flat "model" of tensors with odd sizes and a padding hole, like a ParamLayout.
struct FakeLayout {
  std::vector<dp::Range> tensors;  // marked by the backward
  std::vector<dp::Range> holes;    // never marked
  int64_t numel = 0;
};

FakeLayout fake_layout() {
  FakeLayout l;
  for (int64_t size : {37, 1000, 3, 517, 64, 1, 333}) {
    l.tensors.push_back({l.numel, size});
    l.numel += size;
    if (size == 3) {  // padding after one tensor
      l.holes.push_back({l.numel, 13});
      l.numel += 13;
    }
  }
  return l;
}

// The gradient rank r produced at step s (zero in the holes, as a real backward leaves it).
std::vector<float> rank_grad(const FakeLayout& l, int r, int step) {
  std::vector<float> g(l.numel, 0.f);
  for (const dp::Range& t : l.tensors)
    for (int64_t i = t.begin; i < t.end(); ++i) g[i] = exact_value(100 + step, r, i);
  return g;
}

std::vector<float> mean_grad(const FakeLayout& l, int size, int step) {
  std::vector<float> sum(l.numel, 0.f);
  for (int r = 0; r < size; ++r) {
    const std::vector<float> g = rank_grad(l, r, step);
    for (int64_t i = 0; i < l.numel; ++i) sum[i] += g[i];
  }
  for (float& x : sum) x /= static_cast<float>(size);
  return sum;
}

// Marks every tensor, in an order that differs per rank and per step, some tensors in pieces.
void mark_all(dp::GradReducer& red, const FakeLayout& l, int rank, int step) {
  std::vector<dp::Range> pieces;
  for (const dp::Range& t : l.tensors) {
    if (t.count > 100) {
      pieces.push_back({t.begin, t.count / 3});
      pieces.push_back({t.begin + t.count / 3, t.count - t.count / 3});
    } else {
      pieces.push_back(t);
    }
  }
  std::mt19937 rng(1000 * rank + step);
  std::shuffle(pieces.begin(), pieces.end(), rng);
  for (const dp::Range& p : pieces) red.mark_ready(p.begin, p.count);
}

TEST(GradReducer, BucketsCoverTheBufferFromTheEnd) {
  std::vector<float> g(100);
  dp::GradReducer red(world(), g.data(), 100, 30);
  ASSERT_EQ(red.num_buckets(), 4);
  EXPECT_EQ(red.bucket(0), (dp::Range{70, 30}));
  EXPECT_EQ(red.bucket(3), (dp::Range{0, 10}));
  red.finish();
}

TEST(GradReducer, OutOfOrderMarksGiveTheAllReducedMean) {
  const Comm& group = world();
  const FakeLayout l = fake_layout();
  for (int64_t bucket :
       {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{1000}, l.numel, 10 * l.numel}) {
    std::vector<float> grad(l.numel);
    dp::GradReducer red(group, grad.data(), l.numel, bucket);
    red.set_always_ready(l.holes);
    for (int step = 0; step < 3; ++step) {  // the reducer re-arms itself
      const std::vector<float> mine_grad = rank_grad(l, group.rank(), step);
      std::copy(mine_grad.begin(), mine_grad.end(), grad.begin());  // keep the buffer in place
      mark_all(red, l, group.rank(), step);
      EXPECT_EQ(red.launched(), red.num_buckets()) << "every bucket was complete";
      red.finish();
      EXPECT_EQ(grad, mean_grad(l, group.size(), step)) << "bucket " << bucket << " step " << step;
    }
  }
}

TEST(GradReducer, LaunchesInOrderAsSoonAsThePrefixIsReady) {
  const Comm& group = world();
  const int64_t n = 1000;
  std::vector<float> grad(n);
  for (int64_t i = 0; i < n; ++i) grad[i] = exact_value(5, group.rank(), i);
  dp::GradReducer red(group, grad.data(), n,
                      300);  // buckets [700,1000) [400,700) [100,400) [0,100)
  red.mark_ready(400, 300);  // bucket 1 ready, but bucket 0 is not
  EXPECT_EQ(red.launched(), 0);
  red.mark_ready(700, 300);
  EXPECT_EQ(red.launched(), 2);
  red.mark_ready(0, 50);
  EXPECT_EQ(red.launched(), 2);
  red.finish();  // launches the rest, marked or not
  EXPECT_EQ(red.launched(), 0);
  float err = 0;
  for (int64_t i = 0; i < n; ++i) {
    float s = 0;
    for (int r = 0; r < group.size(); ++r) s += exact_value(5, r, i);
    err = std::max(err, std::fabs(grad[i] - s / static_cast<float>(group.size())));
  }
  EXPECT_EQ(err, 0.f);
}

TEST(GradReducer, ReduceScatterLeavesTheMeanInThisRanksShard) {
  const Comm& group = world();
  const FakeLayout l = fake_layout();
  const std::vector<dp::Range> shards = dp::partition(l.numel, group.size());
  const dp::Range mine = shards[group.rank()];
  for (int64_t bucket : {int64_t{5}, int64_t{100}, int64_t{777}, l.numel}) {
    std::vector<float> grad(l.numel);
    dp::GradReducer red(group, grad.data(), l.numel, bucket, dp::GradReducer::Mode::ReduceScatter,
                        shards);
    red.set_always_ready(l.holes);
    for (int step = 0; step < 2; ++step) {
      const std::vector<float> mine_grad = rank_grad(l, group.rank(), step);
      std::copy(mine_grad.begin(), mine_grad.end(), grad.begin());  // keep the buffer in place
      mark_all(red, l, group.rank(), step);
      red.finish();
      const std::vector<float> ref = mean_grad(l, group.size(), step);
      EXPECT_TRUE(std::equal(grad.begin() + mine.begin, grad.begin() + mine.end(),
                             ref.begin() + mine.begin))
          << "bucket " << bucket << " step " << step;
    }
  }
}

TEST(GradReducer, ArbitraryValuesMatchUpToRounding) {
  const Comm& group = world();
  const int64_t n = 4099;
  std::vector<float> grad(n);
  for (int64_t i = 0; i < n; ++i) grad[i] = testing::value(9, group.rank(), i);
  dp::GradReducer red(group, grad.data(), n, 512);
  for (int64_t b = 0; b < n; b += 100) red.mark_ready(b, std::min<int64_t>(100, n - b));
  red.finish();
  double err = 0;
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int r = 0; r < group.size(); ++r) s += testing::value(9, r, i);
    err = std::max(err, std::fabs(grad[i] - s / group.size()));
  }
  EXPECT_LE(err, 1e-6);
}

}  // namespace
}  // namespace ascent::parallel
