// Whole-model dropout: with the masks fixed by the micro-batch's key, forward_backward's gradients
// match central finite differences of forward(..., DropoutMode::kOn) for attention dropout,
// hidden dropout and both; the key decides the masks (equal keys agree bit for bit, different
// keys differ); evaluation never drops; rates of 0 change nothing whatever the key.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/transformer.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

// The shared tiny GQA (or Bloom-style) model with dropout at the named sites.
ModelConfig tiny(const std::string& variant) {
  ModelConfig c = testing::tiny_config(variant == "bloom" ? "bloom" : "gqa");
  if (variant == "attention" || variant == "both" || variant == "bloom") c.attention_dropout = 0.3f;
  if (variant == "hidden" || variant == "both" || variant == "bloom") c.hidden_dropout = 0.2f;
  return c;
}

// Random weights (biases and norm weights perturbed so their gradients are generic) and one
// micro-batch of B=2, T=7 with one ignored target.
struct Fixture {
  ModelConfig cfg;
  std::unique_ptr<ModelWeights> owned;
  ModelWeights& w;
  Transformer model;
  std::vector<int32_t> tokens, targets;
  MicroBatch mb;

  explicit Fixture(const ModelConfig& c, uint64_t dropout_seed = 42)
      : cfg(c), owned(testing::tiny_weights(cfg, DType::F32)), w(*owned), model(w),
        tokens(14), targets(14) {
    Rng r(11, 2);
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = static_cast<int32_t>(r.uniform(2 * i) * cfg.vocab_size);
      targets[i] = static_cast<int32_t>(r.uniform(2 * i + 1) * cfg.vocab_size);
    }
    targets[3] = -100;
    mb = MicroBatch{2, 7, tokens.data(), targets.data(), nullptr, dropout_seed};
  }
  std::vector<float> grads(float grad_scale, double* loss = nullptr) {
    w.zero_grad();
    const LossSum l = model.forward_backward(mb, grad_scale);
    if (loss) *loss = l.mean();
    return std::vector<float>(w.grad(), w.grad() + w.size());
  }
};

class DropoutGrad : public ::testing::TestWithParam<std::string> {};

TEST_P(DropoutGrad, MatchesFiniteDifferencesWithFixedMasks) {
  Fixture f(tiny(GetParam()));
  double train_loss = 0;
  const std::vector<float> grad = f.grads(1.0f / 13.0f, &train_loss);
  // forward with kOn draws forward_backward's masks; without, the loss differs.
  EXPECT_EQ(f.model.forward(f.mb, Tensor(), DropoutMode::kOn).mean(), train_loss);
  EXPECT_NE(f.model.forward(f.mb).mean(), train_loss);

  auto loss_at = [&](int64_t idx, float delta) {
    const float keep = f.w.master()[idx];
    f.w.master()[idx] = keep + delta;
    const double l = f.model.forward(f.mb, Tensor(), DropoutMode::kOn).mean();
    f.w.master()[idx] = keep;
    return l;
  };
  Rng r(5, 9);
  int checked = 0;
  for (const ParamSpec& s : f.w.layout().specs()) {
    for (int k = 0; k < 3; ++k) {
      const int64_t idx = s.offset + static_cast<int64_t>(r.uniform(checked) * s.numel);
      const float h = 1e-2f;
      const double fd = (loss_at(idx, h) - loss_at(idx, -h)) / (2.0 * h);
      EXPECT_NEAR(grad[idx], fd, 2e-3 + 3e-2 * std::fabs(fd))
          << s.name << " element " << idx - s.offset;
      ++checked;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, DropoutGrad,
                         ::testing::Values("attention", "hidden", "both", "bloom"));

// The micro-batch key decides the masks: same key, same loss and gradients bit for bit; another
// key, another loss.
TEST(Dropout, KeyDecidesTheMasks) {
  const ModelConfig cfg = tiny("both");
  Fixture a(cfg, 1), b(cfg, 1), c(cfg, 2);
  double la = 0, lb = 0, lc = 0;
  const std::vector<float> ga = a.grads(0.1f, &la), gb = b.grads(0.1f, &lb);
  c.grads(0.1f, &lc);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(ga, gb);
  EXPECT_NE(la, lc);
  // Repeating a micro-batch on the same model reproduces it too.
  double again = 0;
  EXPECT_EQ(a.grads(0.1f, &again), ga);
  EXPECT_EQ(again, la);
}

// Evaluation (forward without kOn) never drops: it equals the same weights without dropout.
TEST(Dropout, EvaluationNeverDrops) {
  Fixture with(tiny("both")), without(tiny("none"));
  const int64_t V = with.cfg.vocab_size, N = 14;
  std::vector<float> l1(N * V), l2(N * V);
  const double a = with.model.forward(with.mb, Tensor(l1.data(), DType::F32, {N, V})).mean();
  const double b = without.model.forward(without.mb, Tensor(l2.data(), DType::F32, {N, V})).mean();
  EXPECT_EQ(a, b);
  EXPECT_EQ(l1, l2);
}

// Rates of 0: the key changes nothing (no RNG work; forward_backward is today's computation).
TEST(Dropout, ZeroRatesIgnoreTheKey) {
  const ModelConfig cfg = tiny("none");
  Fixture a(cfg, 1), b(cfg, 987654321);
  double la = 0, lb = 0;
  const std::vector<float> ga = a.grads(0.1f, &la), gb = b.grads(0.1f, &lb);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(ga, gb);
  EXPECT_EQ(a.model.forward(a.mb, Tensor(), DropoutMode::kOn).mean(), la);
}

TEST(Dropout, RatesAreValidated) {
  ModelConfig c = tiny("none");
  c.attention_dropout = 1.f;
  EXPECT_THROW(c.validate(), Error);
  c.attention_dropout = 0.f;
  c.hidden_dropout = -0.1f;
  EXPECT_THROW(c.validate(), Error);
  c.hidden_dropout = 0.99f;
  EXPECT_NO_THROW(c.validate());
}

}  // namespace
}  // namespace ascent
