// Packed rows (--pack): a row holding samples A and B (positions restarting at 0, one attention
// segment each, padding after them) gives A's and B's per-token losses and the gradients of
// running A and B as separate rows, for every position variant (RoPE, ALiBi, learned absolute).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/kernels.h"
#include "model/transformer.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

struct Sample {
  std::vector<int32_t> tokens, targets;
};

Sample random_sample(int64_t n, int64_t vocab, uint64_t seed, int64_t prompt) {
  Sample s;
  s.tokens = testing::random_tokens(n, vocab, seed);
  s.targets = testing::random_tokens(n, vocab, seed + 100);
  for (int64_t t = 0; t < prompt; ++t) s.targets[static_cast<size_t>(t)] = kernels::kIgnoreIndex;
  return s;
}

// Per-token losses of a micro-batch (0 where the target is ignored).
std::vector<float> token_losses(Transformer& model, const ModelConfig& cfg, const MicroBatch& mb) {
  const int64_t N = mb.B * mb.T;
  OwnedTensor logits(DType::F32, {N, cfg.vocab_size}), losses(DType::F32, {N}),
      lse(DType::F32, {N});
  model.forward(mb, *logits);
  kernels::cross_entropy_forward(*logits, mb.targets, cfg.z_loss, *losses, *lse);
  return std::vector<float>(losses->f32(), losses->f32() + N);
}

class Packed : public ::testing::TestWithParam<std::string> {};

TEST_P(Packed, SameLossesAndGradientsAsSeparateRows) {
  ModelConfig cfg = testing::tiny_config(GetParam());
  cfg.max_position_embeddings = 24;
  auto weights = testing::tiny_weights(cfg, DType::F32);
  ModelWeights& w = *weights;
  Transformer model(w);
  const std::vector<Sample> samples = {random_sample(9, cfg.vocab_size, 1, 4),
                                       random_sample(11, cfg.vocab_size, 2, 3)};

  // Separate: one micro-batch per sample; parameter gradients accumulate.
  std::vector<float> separate_losses;
  w.zero_grad();
  double separate_sum = 0;
  for (const Sample& s : samples) {
    const MicroBatch mb{1, static_cast<int64_t>(s.tokens.size()), s.tokens.data(),
                        s.targets.data()};
    const std::vector<float> l = token_losses(model, cfg, mb);
    separate_losses.insert(separate_losses.end(), l.begin(), l.end());
    separate_sum += model.forward_backward(mb, 1.0f).sum;
  }
  const std::vector<float> separate_grad(w.grad(), w.grad() + w.size());

  // Packed: [A | B | 4 padding tokens], positions restart, one segment per sample and the pad.
  const int64_t T = 24;
  std::vector<int32_t> tokens, targets, positions, segments;
  int32_t segment = 0;
  for (const Sample& s : samples) {
    for (size_t t = 0; t < s.tokens.size(); ++t) {
      tokens.push_back(s.tokens[t]);
      targets.push_back(s.targets[t]);
      positions.push_back(static_cast<int32_t>(t));
      segments.push_back(segment);
    }
    ++segment;
  }
  for (int32_t k = 0; static_cast<int64_t>(tokens.size()) < T; ++k) {
    tokens.push_back(0);
    targets.push_back(kernels::kIgnoreIndex);
    positions.push_back(k);
    segments.push_back(segment);
  }
  MicroBatch mb{1, T, tokens.data(), targets.data(), positions.data()};
  mb.segment_ids = segments.data();
  const std::vector<float> packed_losses = token_losses(model, cfg, mb);
  w.zero_grad();
  const LossSum packed = model.forward_backward(mb, 1.0f);
  const std::vector<float> packed_grad(w.grad(), w.grad() + w.size());

  ASSERT_EQ(packed.tokens, 5 + 8);
  EXPECT_NEAR(packed.sum, separate_sum, 1e-5 * std::fabs(separate_sum));
  for (size_t i = 0; i < separate_losses.size(); ++i)
    EXPECT_NEAR(packed_losses[i], separate_losses[i], 1e-5 * (1 + std::fabs(separate_losses[i])))
        << "token " << i;
  for (size_t i = separate_losses.size(); i < packed_losses.size(); ++i)
    EXPECT_EQ(packed_losses[i], 0.f) << "padding token " << i;
  EXPECT_LT(testing::max_rel_err(packed_grad.data(), separate_grad.data(), packed_grad.size()),
            1e-5);
  // Every parameter the samples reach has a gradient (the check is not vacuous).
  double norm = 0;
  for (float g : separate_grad) norm += static_cast<double>(g) * g;
  EXPECT_GT(norm, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Variants, Packed,
                         ::testing::Values("llama", "gqa", "alibi", "internlm", "normhead", "bloom",
                                           "gpt2"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// Without segments a packed row lets B attend to A: the losses of B differ (the test above would
// catch a kernel that ignored the segments).
TEST(Packed, WithoutSegmentsTheSamplesInteract) {
  ModelConfig cfg = testing::tiny_config("llama");
  cfg.max_position_embeddings = 24;
  auto weights = testing::tiny_weights(cfg, DType::F32);
  Transformer model(*weights);
  const Sample a = random_sample(9, cfg.vocab_size, 1, 0),
               b = random_sample(11, cfg.vocab_size, 2, 0);
  std::vector<int32_t> tokens = a.tokens, targets = a.targets, positions, segments;
  tokens.insert(tokens.end(), b.tokens.begin(), b.tokens.end());
  targets.insert(targets.end(), b.targets.begin(), b.targets.end());
  for (int i = 0; i < 9; ++i) positions.push_back(i), segments.push_back(0);
  for (int i = 0; i < 11; ++i) positions.push_back(i), segments.push_back(1);
  MicroBatch with{1, 20, tokens.data(), targets.data(), positions.data()};
  with.segment_ids = segments.data();
  MicroBatch without = with;
  without.segment_ids = nullptr;
  const std::vector<float> lw = token_losses(model, cfg, with),
                           lo = token_losses(model, cfg, without);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(lw[i], lo[i]) << i;  // A comes first either way
  double diff = 0;
  for (int i = 9; i < 20; ++i) diff += std::fabs(lw[i] - lo[i]);
  EXPECT_GT(diff, 1e-3);
}

}  // namespace
}  // namespace ascent
