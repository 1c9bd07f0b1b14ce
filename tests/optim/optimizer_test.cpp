// The optimizer base: which parts of the flat buffer are decayed, the factory and its config
// checks, and OptimRange (one ZeRO shard): a range optimizer must reproduce the whole-buffer update
// on its range bit for bit and leave everything else alone.
#include "optim/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "optim/optim_fixtures.h"
#include "support/test_dir.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

using testing::copy_of;
using testing::expect_error;
using testing::fill_random_grads;
using testing::megatron_decays;

TEST(DecaySegments, FollowTheTensorNamesAndCoverEveryTensor) {
  for (const std::string& variant : testing::tiny_variants()) {
    SCOPED_TRACE(variant);
    const ParamLayout layout(testing::tiny_config(variant));
    const std::vector<DecaySegment> segs = decay_segments(layout);
    ASSERT_FALSE(segs.empty());
    EXPECT_EQ(segs.front().offset, 0);
    for (size_t k = 1; k < segs.size(); ++k) {
      // In order without overlap; a gap between two segments is alignment padding only (every
      // tensor lies inside a segment, checked below).
      EXPECT_GE(segs[k].offset, segs[k - 1].offset + segs[k - 1].numel);
      EXPECT_LT(segs[k].offset, segs[k - 1].offset + segs[k - 1].numel + 32);
      EXPECT_NE(segs[k].decay, segs[k - 1].decay);  // neighbours with one setting are merged
    }
    for (const ParamSpec& s : layout.specs()) {
      size_t k = 0;
      while (k < segs.size() && segs[k].offset + segs[k].numel <= s.offset) ++k;
      ASSERT_LT(k, segs.size()) << s.name;
      EXPECT_LE(segs[k].offset, s.offset) << s.name;
      EXPECT_GE(segs[k].offset + segs[k].numel, s.offset + s.numel) << s.name << " straddles";
      EXPECT_EQ(segs[k].decay, megatron_decays(s.name)) << s.name;
    }
    const ParamSpec& last = layout.specs().back();
    EXPECT_EQ(segs.back().offset + segs.back().numel, last.offset + last.numel);
  }
}

TEST(MakeOptimizer, PicksTheOptimizerByNameWithItsNamedState) {
  auto w = testing::tiny_weights(testing::tiny_config("llama"), DType::F32);
  OptimConfig c;
  auto adam = make_optimizer(c, *w);
  auto names = [](Optimizer& o) {
    std::vector<std::string> n;
    for (auto& [name, buf] : o.state()) n.push_back(name);
    return n;
  };
  EXPECT_EQ(names(*adam), (std::vector<std::string>{"exp_avg", "exp_avg_sq"}));
  EXPECT_EQ(adam->range().begin, 0);
  EXPECT_EQ(adam->range().count, w->size());
  c.name = "sgd";
  EXPECT_EQ(names(*make_optimizer(c, *w)), std::vector<std::string>{"momentum"});
  c.momentum = 0.f;
  EXPECT_TRUE(names(*make_optimizer(c, *w)).empty());
  // A fresh optimizer starts with zero state and zero steps.
  for (auto& [name, buf] : adam->state())
    for (int64_t i = 0; i < w->size(); ++i) ASSERT_EQ(buf[i], 0.f) << name;
  EXPECT_EQ(adam->steps(), 0);
}

TEST(OptimConfig, ValidateNamesTheFlag) {
  auto w = testing::tiny_weights(testing::tiny_config("llama"), DType::F32);
  auto bad = [&](auto&& change, const std::string& flag) {
    OptimConfig c;
    change(c);
    expect_error([&] { c.validate(); }, {"[optim]", flag});
    expect_error([&] { make_optimizer(c, *w); }, {"[optim]", flag});
  };
  bad([](OptimConfig& c) { c.name = "lamb"; }, "--optimizer");
  bad([](OptimConfig& c) { c.beta1 = 1.f; }, "--adam-beta1");
  bad([](OptimConfig& c) { c.beta2 = -0.1f; }, "--adam-beta2");
  bad([](OptimConfig& c) { c.eps = 0.f; }, "--adam-eps");
  bad([](OptimConfig& c) { c.weight_decay = -1e-3f; }, "--weight-decay");
  bad([](OptimConfig& c) { c.momentum = 1.f; }, "--sgd-momentum");
}

// A range that starts inside a norm weight (no decay) and ends inside a matrix of the next layer,
// so both ends clip a decay segment.
OptimRange odd_range(const ModelWeights& w) {
  const ParamSpec* first = w.layout().find("model.layers.0.post_attention_layernorm.weight");
  const ParamSpec* last = w.layout().find("model.layers.1.self_attn.q_proj.weight");
  const int64_t begin = first->offset + 5, end = last->offset + 101;
  return {begin, end - begin};
}

class OptimizerRange : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimizerRange, RangeStepEqualsTheWholeStepOnThatRange) {
  const ModelConfig cfg = testing::tiny_config("bloom");
  auto whole_w = testing::tiny_weights(cfg, DType::F32);
  auto range_w = testing::tiny_weights(cfg, DType::F32);
  auto shard_w = testing::tiny_weights(cfg, DType::F32);  // gradients given as a range_grad
  const std::vector<float> initial = copy_of(range_w->master(), range_w->size());
  OptimConfig c;
  c.name = GetParam();
  const OptimRange r = odd_range(*whole_w);
  auto whole = make_optimizer(c, *whole_w);
  auto ranged = make_optimizer(c, *range_w, r);
  auto sharded = make_optimizer(c, *shard_w, r);
  ASSERT_EQ(ranged->range().begin, r.begin);
  ASSERT_EQ(ranged->range().count, r.count);
  for (int t = 1; t <= 3; ++t) {
    fill_random_grads(*whole_w, 60 + t);
    std::copy(whole_w->grad(), whole_w->grad() + whole_w->size(), range_w->grad());
    const std::vector<float> grad_shard(whole_w->grad() + r.begin,
                                        whole_w->grad() + r.begin + r.count);
    std::fill(shard_w->grad(), shard_w->grad() + shard_w->size(), 1e30f);  // must not be read
    whole->step(*whole_w, 1e-2f, 0.8f);
    ranged->step(*range_w, 1e-2f, 0.8f);
    sharded->step(*shard_w, 1e-2f, 0.8f, grad_shard.data());
    for (int64_t i = 0; i < whole_w->size(); ++i) {
      const bool inside = i >= r.begin && i < r.begin + r.count;
      const float want = inside ? whole_w->master()[i] : initial[static_cast<size_t>(i)];
      ASSERT_EQ(range_w->master()[i], want) << "step " << t << " element " << i;
      ASSERT_EQ(shard_w->master()[i], want) << "step " << t << " element " << i;
    }
  }
  // State element i belongs to flat element range().begin + i.
  const auto whole_state = whole->state(), range_state = ranged->state();
  ASSERT_EQ(whole_state.size(), range_state.size());
  for (size_t k = 0; k < whole_state.size(); ++k)
    for (int64_t i = 0; i < r.count; ++i)
      ASSERT_EQ(range_state[k].second[i], whole_state[k].second[r.begin + i])
          << whole_state[k].first << " " << i;
  EXPECT_EQ(ranged->steps(), 3);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, OptimizerRange, ::testing::Values("adam", "sgd"));

TEST(OptimizerRangeDeathTest, CountMinusOneRunsToTheEndAndOutsideAborts) {
  auto w = testing::tiny_weights(testing::tiny_config("llama"), DType::F32);
  OptimConfig c;
  auto tail = make_optimizer(c, *w, {w->size() - 40, -1});
  EXPECT_EQ(tail->range().count, 40);
  EXPECT_EQ(make_optimizer(c, *w, {w->size(), 0})->range().count, 0);  // an empty shard is fine
  EXPECT_DEATH(make_optimizer(c, *w, {w->size() - 10, 20}), "optimizer range");
  EXPECT_DEATH(make_optimizer(c, *w, {-1, 5}), "optimizer range");
}

}  // namespace
}  // namespace ascent
