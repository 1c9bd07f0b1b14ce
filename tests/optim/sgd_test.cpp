// SGD against torch.optim.SGD's algorithm (dampening 0, no Nesterov) written out in double:
//   d = g + wd p;  buf = d at the first step, else momentum buf + d;  p <- p - lr buf
// (without momentum p <- p - lr d), with g = gradient * grad_scale and the (coupled) weight decay
// only on the tensors Megatron decays.
#include "optim/sgd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "optim/optim_fixtures.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

using testing::element_kinds;
using testing::ElementKind;
using testing::expect_close;
using testing::fill_random_grads;

struct SgdRef {
  std::vector<double> p, buf;
  std::vector<ElementKind> kind;

  explicit SgdRef(const ModelWeights& w)
      : p(w.master(), w.master() + w.size()),
        buf(static_cast<size_t>(w.size()), 0.0),
        kind(element_kinds(w.layout())) {}

  void step(const OptimConfig& c, double lr, double grad_scale, const float* grad, int64_t t) {
    for (size_t i = 0; i < p.size(); ++i) {
      const double wd = kind[i] == ElementKind::kDecay ? c.weight_decay : 0.0;
      double d = static_cast<double>(grad[i]) * grad_scale + wd * p[i];
      if (c.momentum > 0.f) {
        buf[i] = t == 1 ? d : c.momentum * buf[i] + d;
        d = buf[i];
      }
      p[i] -= lr * d;
    }
  }
};

OptimConfig sgd_config(float momentum) {
  OptimConfig c;
  c.name = "sgd";
  c.momentum = momentum;
  c.weight_decay = 0.05f;
  return c;
}

TEST(Sgd, WithoutMomentumMatchesTheReference) {
  auto w = testing::tiny_weights(testing::tiny_config("bloom"), DType::F32);
  SgdRef ref(*w);
  const OptimConfig c = sgd_config(0.f);
  auto opt = make_optimizer(c, *w);
  EXPECT_TRUE(opt->state().empty());  // no state to checkpoint
  for (int t = 1; t <= 3; ++t) {
    fill_random_grads(*w, 20 + t);
    opt->step(*w, 0.1f, 0.5f);
    ref.step(c, 0.1f, 0.5, w->grad(), t);
    expect_close(w->master(), ref.p, "master after step " + std::to_string(t));
  }
  EXPECT_EQ(opt->steps(), 3);
}

TEST(Sgd, MomentumMatchesTheReference) {
  auto w = testing::tiny_weights(testing::tiny_config("internlm"), DType::F32);
  SgdRef ref(*w);
  const OptimConfig c = sgd_config(0.9f);
  Sgd opt(*w, c);
  const float lrs[] = {0.1f, 0.05f, 0.2f, 0.1f};
  for (int t = 1; t <= 4; ++t) {
    fill_random_grads(*w, 30 + t);
    opt.step(*w, lrs[t - 1], 0.7f);
    ref.step(c, lrs[t - 1], 0.7, w->grad(), t);
    expect_close(w->master(), ref.p, "master after step " + std::to_string(t));
  }
  const auto state = opt.state();
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].first, "momentum");
  expect_close(state[0].second, ref.buf, "momentum");
}

TEST(Sgd, WeightDecayIsCoupledAndSkipsNormsAndBiases) {
  // Zero gradients: d = wd p, so a decayed weight becomes p (1 - lr wd), the others stay.
  auto w = testing::tiny_weights(testing::tiny_config("gpt2"), DType::F32);
  w->zero_grad();
  const std::vector<float> before(w->master(), w->master() + w->size());
  const std::vector<ElementKind> kind = element_kinds(w->layout());
  OptimConfig c = sgd_config(0.f);
  c.weight_decay = 0.5f;
  auto opt = make_optimizer(c, *w);
  opt->step(*w, 0.2f, 1.f);
  for (size_t i = 0; i < before.size(); ++i) {
    if (kind[i] == ElementKind::kDecay)
      ASSERT_FLOAT_EQ(w->master()[i], before[i] * 0.9f) << i;
    else
      ASSERT_EQ(w->master()[i], before[i]) << i;
  }
}

}  // namespace
}  // namespace ascent
