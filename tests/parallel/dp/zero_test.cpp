// ZeRO-1/2/3 AdamW steps on DP ranks against the single-process AdamW on the averaged gradient.
#include "parallel/dp/zero.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "kernels/kernels.h"
#include "optim/adamw.h"
#include "optim/grad_clip.h"
#include "parallel/dp/grad_reducer.h"
#include "parallel/mpi_test_env.h"

namespace ascent::parallel {
namespace {

using dp::Range;
using testing::value;
using testing::world;

TEST(Zero, PartitionIsContiguousAlignedAndBalanced) {
  EXPECT_EQ(dp::partition(100, 4, 32), (std::vector<Range>{{0, 32}, {32, 32}, {64, 32}, {96, 4}}));
  EXPECT_EQ(dp::partition(1000, 3, 32), (std::vector<Range>{{0, 352}, {352, 352}, {704, 296}}));
  EXPECT_EQ(dp::partition(10, 4, 32), (std::vector<Range>{{0, 10}, {10, 0}, {10, 0}, {10, 0}}));
  EXPECT_EQ(dp::partition(0, 2, 32), (std::vector<Range>{{0, 0}, {0, 0}}));
  EXPECT_EQ(dp::partition(7, 1, 32), (std::vector<Range>{{0, 7}}));
  for (int64_t n : {1, 31, 32, 33, 1000, 4099, 100003})
    for (int parts : {1, 2, 3, 4, 7, 8}) {
      const std::vector<Range> s = dp::partition(n, parts, 32);
      int64_t next = 0, largest = 0, smallest = n;
      for (size_t r = 0; r < s.size(); ++r) {
        EXPECT_EQ(s[r].begin, next);
        if (s[r].count > 0) {
          EXPECT_EQ(s[r].begin % 32, 0);
        }
        next = s[r].end();
        largest = std::max(largest, s[r].count);
        if (s[r].end() < n) smallest = std::min(smallest, s[r].count);  // all but the tail
        if (r > 0) {
          EXPECT_LE(s[r].count, s[r - 1].count) << "earlier ranks hold more";
        }
      }
      EXPECT_EQ(next, n);
      if (smallest < n) {
        EXPECT_LE(largest - smallest, 32) << n << " / " << parts;
      }
    }
  EXPECT_EQ(dp::piece_counts({30, 40}, dp::partition(100, 4, 32)),
            (std::vector<int64_t>{2, 32, 6, 0}));
}

// The flat "model": a tiny LLaMA's parameter layout (padding, decay and no-decay segments).
ModelConfig tiny_config() {
  ModelConfig c;
  c.vocab_size = 61;
  c.hidden_size = 24;
  c.ffn_hidden_size = 40;
  c.num_layers = 2;
  c.num_attention_heads = 4;
  c.num_query_groups = 2;
  c.max_position_embeddings = 16;
  return c;
}

// Rank r's gradient is that of sum_i 0.5 a_i (p_i - t_ri)^2 over the parameters (padding has
// none), rounded to a multiple of 2^-12: the sum over ranks is then exact in any order, so the
// DP mean is bitwise the reference's and the comparison measures the sharding alone (Adam's
// m / sqrt(v) would otherwise turn last-bit differences of near-zero means into sign flips).
void rank_grad(const ParamLayout& l, int r, const float* p, float* g, Range range) {
  for (const ParamSpec& s : l.specs()) {
    const Range t = Range{s.offset, s.numel}.intersect(range);
    for (int64_t i = t.begin; i < t.end(); ++i) {
      const float a = 1.f + 0.5f * value(11, 0, i);
      const float exact = a * (p[i - range.begin] - value(12, r, i));
      g[i - range.begin] = std::nearbyint(exact * 4096.f) / 4096.f;
    }
  }
}

struct AdamRun {
  ModelConfig cfg = tiny_config();
  OptimConfig opt;
  float lr = 1e-2f, clip = 0.5f;
  int steps = 4;
  std::unique_ptr<ModelWeights> ref;  // the single-process run
  std::unique_ptr<AdamW> adam;

  AdamRun() {
    opt.weight_decay = 0.1f;
    ref = std::make_unique<ModelWeights>(cfg, DType::F32);
    init(ref->master(), ref->size());
    adam = std::make_unique<AdamW>(*ref, opt);
  }
  static void init(float* p, int64_t n) {
    for (int64_t i = 0; i < n; ++i) p[i] = value(10, 0, i);
  }
  // One reference step on the mean gradient over `size` ranks; returns the clip coefficient.
  float reference_step(int size) {
    const int64_t n = ref->size();
    std::vector<float> g(n, 0.f), sum(n, 0.f);
    for (int r = 0; r < size; ++r) {
      std::fill(g.begin(), g.end(), 0.f);
      rank_grad(ref->layout(), r, ref->master(), g.data(), {0, n});
      for (int64_t i = 0; i < n; ++i) sum[i] += g[i];
    }
    for (int64_t i = 0; i < n; ++i) ref->grad()[i] = sum[i] / static_cast<float>(size);
    const float scale = clip_coefficient(global_grad_norm(ref->grad(), n), clip);
    adam->step(*ref, lr, scale);
    return scale;
  }
  // The sharded AdamW update of this rank's shard (what the trainer does).
  void shard_step(const Range mine, int step, float scale, float* p, const float* g, float* m,
                  float* v, int64_t p_offset) const {
    kernels::AdamWArgs a;
    a.lr = lr;
    a.beta1 = opt.beta1;
    a.beta2 = opt.beta2;
    a.eps = opt.eps;
    a.step = step;
    a.grad_scale = scale;
    for (const DecaySegment& s : decay_segments(ref->layout())) {
      const Range piece = Range{s.offset, s.numel}.intersect(mine);
      if (piece.empty()) continue;
      a.weight_decay = s.decay ? opt.weight_decay : 0.f;
      const int64_t local = piece.begin - mine.begin;
      auto flat = [&](float* x) { return Tensor(x, DType::F32, {piece.count}); };
      kernels::adamw_step(a, flat(p + piece.begin - p_offset),
                          flat(const_cast<float*>(g) + piece.begin - p_offset), flat(m + local),
                          flat(v + local));
    }
  }
};

double max_rel_err(const float* x, const float* ref, int64_t n) {
  double err = 0;
  for (int64_t i = 0; i < n; ++i)
    err = std::max(err, std::fabs(static_cast<double>(x[i]) - ref[i]) /
                            std::max(1e-3, std::fabs(static_cast<double>(ref[i]))));
  return err;
}

void run_zero12(int stage) {
  const Comm& group = world();
  AdamRun s;
  const ParamLayout& l = s.ref->layout();
  const int64_t n = s.ref->size();
  dp::Sharding sharding(group, n);
  const Range mine = sharding.mine();
  std::vector<float> params(n), grad(n), m(mine.count), v(mine.count);
  AdamRun::init(params.data(), n);
  // Buckets of odd size, and padding declared ready.
  std::vector<Range> holes;
  int64_t at = 0;
  for (const ParamSpec& p : l.specs()) {
    if (p.offset > at) holes.push_back({at, p.offset - at});
    at = p.offset + p.numel;
  }
  if (n > at) holes.push_back({at, n - at});
  dp::GradReducer reducer(
      group, grad.data(), n, 1001,
      stage == 2 ? dp::GradReducer::Mode::ReduceScatter : dp::GradReducer::Mode::AllReduce,
      sharding.shards());
  reducer.set_always_ready(holes);
  for (int step = 1; step <= s.steps; ++step) {
    const float ref_scale = s.reference_step(group.size());
    // Backward: this rank's gradient, tensor by tensor in reverse order.
    std::fill(grad.begin(), grad.end(), 0.f);
    for (auto it = l.specs().rbegin(); it != l.specs().rend(); ++it) {
      const Range t{it->offset, it->numel};
      rank_grad(l, group.rank(), params.data() + t.begin, grad.data() + t.begin, t);
      reducer.mark_ready(t.begin, t.count);
    }
    reducer.finish();
    const double norm = sharding.grad_norm(grad.data());
    const float scale = clip_coefficient(norm, s.clip);
    if (step == 1) {
      EXPECT_LT(ref_scale, 1.f) << "clipping is active";
    }
    EXPECT_NEAR(scale, ref_scale, 1e-6 * ref_scale);
    s.shard_step(mine, step, scale, params.data(), grad.data(), m.data(), v.data(), 0);
    sharding.all_gather_params(params.data());
    EXPECT_LE(max_rel_err(params.data(), s.ref->master(), n), 1e-6)
        << "stage " << stage << " step " << step;
  }
  // The optimizer state shards are the reference's state on the shard.
  const auto state = s.adam->state();
  EXPECT_LE(max_rel_err(m.data(), state[0].second + mine.begin, mine.count), 1e-6);
  EXPECT_LE(max_rel_err(v.data(), state[1].second + mine.begin, mine.count), 1e-6);
}

TEST(Zero, Stage1MatchesSingleProcessAdamW) { run_zero12(1); }
TEST(Zero, Stage2MatchesSingleProcessAdamW) { run_zero12(2); }

TEST(Zero, Stage3GathersLayersJustInTime) {
  const Comm& group = world();
  AdamRun s;
  const ParamLayout& l = s.ref->layout();
  const int64_t n = s.ref->size();
  dp::Sharding sharding(group, n);
  const Range mine = sharding.mine();
  // Layers: each tensor with the padding after it, tiling [0, n).
  std::vector<Range> layers;
  for (size_t i = 0; i < l.specs().size(); ++i) {
    const int64_t b = l.specs()[i].offset;
    const int64_t e = i + 1 < l.specs().size() ? l.specs()[i + 1].offset : n;
    layers.push_back({b, e - b});
  }
  int64_t largest = 0;
  for (const Range& r : layers) largest = std::max(largest, r.count);
  // Only this rank's shard of the parameters, gradients and state exists.
  std::vector<float> p_shard(std::max<int64_t>(mine.count, 1)), g_shard(p_shard.size()),
      m(p_shard.size()), v(p_shard.size()), layer_grad(largest);
  std::vector<float> full(n);
  AdamRun::init(full.data(), n);
  std::copy(full.begin() + mine.begin, full.begin() + mine.end(), p_shard.begin());
  std::vector<float> gathered(largest);
  for (int step = 1; step <= s.steps; ++step) {
    const float ref_scale = s.reference_step(group.size());
    std::fill(g_shard.begin(), g_shard.end(), 0.f);
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
      // Each layer's parameters exist whole only while it is in use.
      sharding.gather(*it, p_shard.data(), gathered.data());
      std::fill(layer_grad.begin(), layer_grad.end(), 0.f);
      rank_grad(l, group.rank(), gathered.data(), layer_grad.data(), *it);
      sharding.reduce_scatter_accumulate(*it, layer_grad.data(), g_shard.data());
    }
    const float scale = clip_coefficient(sharding.shard_grad_norm(g_shard.data()), s.clip);
    EXPECT_NEAR(scale, ref_scale, 1e-6 * ref_scale);
    s.shard_step(mine, step, scale, p_shard.data(), g_shard.data(), m.data(), v.data(), mine.begin);
    sharding.gather({0, n}, p_shard.data(), full.data());
    EXPECT_LE(max_rel_err(full.data(), s.ref->master(), n), 1e-6) << "step " << step;
  }
}

TEST(Zero, AllGatherOfBf16Copy) {
  const Comm& group = world();
  const int64_t n = 1234;
  dp::Sharding sharding(group, n);
  std::vector<uint16_t> bits(n, 0);
  const Range mine = sharding.mine();
  for (int64_t i = mine.begin; i < mine.end(); ++i) bits[i] = static_cast<uint16_t>(i * 3);
  sharding.all_gather_params(bits.data());
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad += bits[i] != static_cast<uint16_t>(i * 3);
  EXPECT_EQ(bad, 0);
}

TEST(Zero, GradNormCountsEachElementOnce) {
  const Comm& group = world();
  const int64_t n = 1000;
  dp::Sharding sharding(group, n);
  std::vector<float> g(n);
  for (int64_t i = 0; i < n; ++i) g[i] = value(13, 0, i);
  const double ref = std::sqrt(dp::sum_squares(g.data(), n));
  EXPECT_NEAR(sharding.grad_norm(g.data()), ref, 1e-12 * ref);
  // Only [100, 300) counted (e.g. leaving out tensor-parallel duplicates).
  const double part = std::sqrt(dp::sum_squares(g.data() + 100, 200));
  EXPECT_NEAR(sharding.grad_norm(g.data(), nullptr, {{100, 200}}), part, 1e-12 * part);
}

}  // namespace
}  // namespace ascent::parallel
