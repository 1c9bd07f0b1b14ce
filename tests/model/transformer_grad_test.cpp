// Whole-model gradient check: every architecture variant's hand-written backward against central
// finite differences of the loss, on tiny sizes. (Parity with PyTorch is in parity_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "model/transformer.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

// The shared tiny variants, plus z-loss on the LLaMA one.
ModelConfig tiny(const std::string& variant) {
  if (variant != "zloss") return testing::tiny_config(variant);
  ModelConfig c = testing::tiny_config("llama");
  c.z_loss = 1e-2f;
  return c;
}

class TransformerGrad : public ::testing::TestWithParam<std::string> {};

TEST_P(TransformerGrad, MatchesFiniteDifferences) {
  ModelConfig cfg = tiny(GetParam());
  auto weights = testing::tiny_weights(cfg, DType::F32);
  ModelWeights& w = *weights;
  Transformer model(w);
  const int64_t B = 2, T = 7, N = B * T;
  std::vector<int32_t> tokens(N), targets(N);
  Rng r(11, 2);
  for (int64_t i = 0; i < N; ++i) {
    tokens[i] = static_cast<int32_t>(r.uniform(2 * i) * cfg.vocab_size);
    targets[i] = static_cast<int32_t>(r.uniform(2 * i + 1) * cfg.vocab_size);
  }
  targets[3] = -100;
  MicroBatch mb{B, T, tokens.data(), targets.data(), nullptr};

  w.zero_grad();
  LossSum base = model.forward_backward(mb, 1.0f / 13.0f);
  ASSERT_EQ(base.tokens, 13);
  std::vector<float> grad(w.grad(), w.grad() + w.size());

  auto loss_at = [&](int64_t idx, float delta) {
    const float keep = w.master()[idx];
    w.master()[idx] = keep + delta;
    double l = model.forward(mb).mean();
    w.master()[idx] = keep;
    return l;
  };
  // A few coordinates of every tensor.
  int checked = 0;
  for (const ParamSpec& s : w.layout().specs()) {
    for (int k = 0; k < 3; ++k) {
      const int64_t idx = s.offset + static_cast<int64_t>(r.uniform(1000 + checked) * s.numel);
      const float h = 1e-2f;
      const double fd = (loss_at(idx, h) - loss_at(idx, -h)) / (2.0 * h);
      EXPECT_NEAR(grad[idx], fd, 2e-3 + 3e-2 * std::fabs(fd))
          << s.name << " element " << idx - s.offset;
      ++checked;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, TransformerGrad,
                         ::testing::Values("llama", "gqa", "alibi", "internlm", "normhead",
                                           "zloss", "bloom", "gpt2"));

}  // namespace
}  // namespace ascent
