// AdamW against a scalar reference written from the paper's algorithm (Loshchilov & Hutter,
// "Decoupled Weight Decay Regularization", as torch.optim.AdamW states it), in double precision:
//   p <- p (1 - lr wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// with g = gradient * grad_scale and wd only on the tensors Megatron decays.
#include "optim/adamw.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "optim/optim_fixtures.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

using testing::copy_of;
using testing::element_kinds;
using testing::ElementKind;
using testing::expect_close;
using testing::fill_random_grads;

struct AdamRef {
  std::vector<double> p, m, v;
  std::vector<ElementKind> kind;

  explicit AdamRef(const ModelWeights& w)
      : p(w.master(), w.master() + w.size()),
        m(static_cast<size_t>(w.size()), 0.0),
        v(static_cast<size_t>(w.size()), 0.0),
        kind(element_kinds(w.layout())) {}

  // Step t (1-based) on gradients grad * grad_scale.
  void step(const OptimConfig& c, double lr, double grad_scale, const float* grad, int64_t t) {
    const double b1 = c.beta1, b2 = c.beta2, eps = c.eps;
    for (size_t i = 0; i < p.size(); ++i) {
      const double wd = kind[i] == ElementKind::kDecay ? c.weight_decay : 0.0;
      const double g = static_cast<double>(grad[i]) * grad_scale;
      p[i] *= 1.0 - lr * wd;
      m[i] = b1 * m[i] + (1.0 - b1) * g;
      v[i] = b2 * v[i] + (1.0 - b2) * g * g;
      const double m_hat = m[i] / (1.0 - std::pow(b1, static_cast<double>(t)));
      const double v_hat = v[i] / (1.0 - std::pow(b2, static_cast<double>(t)));
      p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
};

OptimConfig adam_config() {
  OptimConfig c;
  c.name = "adam";
  c.beta1 = 0.9f;
  c.beta2 = 0.95f;
  c.eps = 1e-8f;
  c.weight_decay = 0.1f;
  return c;
}

TEST(AdamW, OneStepMatchesTheReferenceOnEveryVariant) {
  for (const char* variant : {"llama", "bloom", "internlm", "gpt2"}) {
    SCOPED_TRACE(variant);
    auto w = testing::tiny_weights(testing::tiny_config(variant), DType::F32);
    fill_random_grads(*w, 11);
    AdamRef ref(*w);
    const OptimConfig c = adam_config();
    auto opt = make_optimizer(c, *w);
    opt->step(*w, 1e-2f, 1.f);
    ref.step(c, 1e-2f, 1.0, w->grad(), 1);
    expect_close(w->master(), ref.p, "master");
    EXPECT_EQ(opt->steps(), 1);
  }
}

TEST(AdamW, SeveralStepsWithNewGradientsAndAGradScale) {
  auto w = testing::tiny_weights(testing::tiny_config("bloom"), DType::F32);
  AdamRef ref(*w);
  const OptimConfig c = adam_config();
  AdamW opt(*w, c);
  const float lrs[] = {1e-2f, 2e-2f, 5e-3f, 1e-2f, 3e-3f};
  for (int t = 1; t <= 5; ++t) {
    fill_random_grads(*w, 100 + t, t == 3 ? 0.01f : 1.f);
    const float grad_scale = 0.3f;  // clipping and loss scaling are folded in here
    opt.step(*w, lrs[t - 1], grad_scale);
    ref.step(c, lrs[t - 1], grad_scale, w->grad(), t);
    expect_close(w->master(), ref.p, "master after step " + std::to_string(t));
  }
  EXPECT_EQ(opt.steps(), 5);
  const auto state = opt.state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].first, "exp_avg");
  EXPECT_EQ(state[1].first, "exp_avg_sq");
  expect_close(state[0].second, ref.m, "exp_avg");
  expect_close(state[1].second, ref.v, "exp_avg_sq");
}

TEST(AdamW, EpsIsAddedOutsideTheSquareRoot) {
  auto w = testing::tiny_weights(testing::tiny_config("llama"), DType::F32);
  fill_random_grads(*w, 5, 0.2f);
  AdamRef ref(*w);
  OptimConfig c = adam_config();
  c.eps = 0.1f;  // comparable to |g|: sqrt(v_hat) + eps and sqrt(v_hat + eps) differ clearly
  auto opt = make_optimizer(c, *w);
  opt->step(*w, 1e-2f, 1.f);
  ref.step(c, 1e-2f, 1.0, w->grad(), 1);
  expect_close(w->master(), ref.p, "master");
}

TEST(AdamW, BiasCorrectionFollowsARestoredStepCount) {
  // A resumed run sets the count from the checkpoint; the next step is step 101 in both bias
  // corrections (zero moments here, as after a fresh optimizer).
  auto w = testing::tiny_weights(testing::tiny_config("llama"), DType::F32);
  fill_random_grads(*w, 6);
  AdamRef ref(*w);
  const OptimConfig c = adam_config();
  auto opt = make_optimizer(c, *w);
  opt->set_steps(100);
  opt->step(*w, 1e-2f, 1.f);
  ref.step(c, 1e-2f, 1.0, w->grad(), 101);
  expect_close(w->master(), ref.p, "master");
  EXPECT_EQ(opt->steps(), 101);
}

TEST(AdamW, WeightDecayIsDecoupledAndSkipsNormsAndBiases) {
  // With zero gradients the Adam update is 0 / (0 + eps) = 0: only the decay moves a weight.
  auto w = testing::tiny_weights(testing::tiny_config("bloom"), DType::F32);
  w->zero_grad();
  const std::vector<float> before = copy_of(w->master(), w->size());
  const std::vector<ElementKind> kind = element_kinds(w->layout());
  OptimConfig c = adam_config();
  c.weight_decay = 0.2f;
  auto opt = make_optimizer(c, *w);
  opt->step(*w, 0.5f, 1.f);
  int decayed = 0, kept = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    if (kind[i] == ElementKind::kDecay) {
      ASSERT_FLOAT_EQ(w->master()[i], before[i] * 0.9f) << i;  // 1 - lr * wd
      decayed += before[i] != 0.f;
    } else {
      ASSERT_EQ(w->master()[i], before[i]) << i;
      kept += kind[i] == ElementKind::kNoDecay;
    }
  }
  EXPECT_GT(decayed, 1000);
  EXPECT_GT(kept, 100);  // Bloom has norms and biases everywhere
}

TEST(AdamW, PaddingStaysZero) {
  auto w = testing::tiny_weights(testing::tiny_config("gpt2"), DType::F32);
  const std::vector<ElementKind> kind = element_kinds(w->layout());
  auto opt = make_optimizer(adam_config(), *w);
  for (int t = 0; t < 3; ++t) {
    fill_random_grads(*w, 40 + t);
    opt->step(*w, 1e-2f, 1.f);
  }
  int padding = 0;
  for (size_t i = 0; i < kind.size(); ++i)
    if (kind[i] == ElementKind::kPadding) {
      ASSERT_EQ(w->master()[i], 0.f) << i;
      ++padding;
    }
  EXPECT_GT(padding, 0);
}

TEST(AdamW, RefreshesTheBf16ComputeCopy) {
  auto w = testing::tiny_weights(testing::tiny_config("llama"), DType::BF16);
  fill_random_grads(*w, 8);
  auto opt = make_optimizer(adam_config(), *w);
  opt->step(*w, 1e-2f, 1.f);
  // The embedding is the first tensor: its view starts the flat compute buffer.
  const auto* compute = static_cast<const bf16_t*>(w->compute().wte.data());
  for (const ParamSpec& s : w->layout().specs())
    for (int64_t i = s.offset; i < s.offset + s.numel; ++i)
      ASSERT_EQ(compute[i], f32_to_bf16(w->master()[i])) << s.name;
}

}  // namespace
}  // namespace ascent
