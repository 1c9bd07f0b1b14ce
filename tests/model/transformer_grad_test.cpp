// Whole-model gradient check: every architecture variant's hand-written backward against central
// finite differences of the loss, on tiny sizes. (Parity with PyTorch is in parity_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "model/transformer.h"

namespace ascent {
namespace {

ModelConfig tiny(const std::string& variant) {
  ModelConfig c;
  c.name = variant;
  c.vocab_size = 37;
  c.hidden_size = 24;
  c.ffn_hidden_size = 40;
  c.num_layers = 2;
  c.num_attention_heads = 4;
  c.num_query_groups = 4;
  c.max_position_embeddings = 16;
  c.init_method_std = 0.3f;
  if (variant == "gqa") c.num_query_groups = 2;
  if (variant == "alibi") c.position = PositionType::Alibi;
  if (variant == "internlm") c.qkv_bias = c.out_bias = true;
  if (variant == "normhead") c.lm_norm_weight = true;
  if (variant == "zloss") c.z_loss = 1e-2f;
  if (variant == "bloom" || variant == "gpt2") {
    c.norm = NormType::LayerNorm;
    c.mlp = MlpType::GeLU;
    c.qkv_bias = c.out_bias = c.mlp_bias = true;
    c.tied_embeddings = true;
    c.position = variant == "bloom" ? PositionType::Alibi : PositionType::Absolute;
    c.embedding_norm = variant == "bloom";
    c.num_attention_heads = 6;  // non-power-of-two ALiBi slopes
    c.num_query_groups = 6;
  }
  return c;
}

class TransformerGrad : public ::testing::TestWithParam<std::string> {};

TEST_P(TransformerGrad, MatchesFiniteDifferences) {
  ModelConfig cfg = tiny(GetParam());
  ModelWeights w(cfg, DType::F32);
  w.init_random(7);
  // Biases and norm weights start at 0 / 1; perturb them so their gradients are generic.
  Rng noise(3, 1);
  for (const ParamSpec& s : w.layout().specs()) {
    if (s.weight_decay) continue;
    for (int64_t i = 0; i < s.numel; ++i) w.master()[s.offset + i] += 0.2f * noise.normal(s.offset + i);
  }
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
