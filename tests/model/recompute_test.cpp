// Activation recompute: a recomputed layer keeps only its input, and its backward first runs its
// forward again. The gradients must be bit for bit those without recompute (same arithmetic, same
// dropout masks), and the activation memory must fall.
#include "model/recompute.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "model/transformer.h"
#include "support/test_dir.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

using testing::random_tokens;
using testing::tiny_config;

std::vector<std::vector<int64_t>> shape(const std::vector<LayerGroup>& groups) {
  std::vector<std::vector<int64_t>> out;
  for (const LayerGroup& g : groups) out.push_back({g.begin, g.end, g.recompute ? 1 : 0});
  return out;
}

TEST(RecomputeGroups, UniformBlockAndOff) {
  using V = std::vector<std::vector<int64_t>>;
  EXPECT_EQ(shape(recompute_groups({}, 3)), (V{{0, 1, 0}, {1, 2, 0}, {2, 3, 0}}));
  EXPECT_EQ(shape(recompute_groups({true, RecomputeMethod::kUniform, 3}, 8)),
            (V{{0, 3, 1}, {3, 6, 1}, {6, 8, 1}}));
  EXPECT_EQ(shape(recompute_groups({true, RecomputeMethod::kUniform, 1}, 2)),
            (V{{0, 1, 1}, {1, 2, 1}}));
  EXPECT_EQ(shape(recompute_groups({true, RecomputeMethod::kBlock, 2}, 4)),
            (V{{0, 1, 1}, {1, 2, 1}, {2, 3, 0}, {3, 4, 0}}));
  EXPECT_EQ(shape(recompute_groups({true, RecomputeMethod::kBlock, 9}, 2)),
            (V{{0, 1, 1}, {1, 2, 1}}));
  EXPECT_TRUE(recompute_groups({true, RecomputeMethod::kUniform, 2}, 0).empty());
  EXPECT_EQ(parse_recompute_method("block"), RecomputeMethod::kBlock);
  testing::expect_error([] { parse_recompute_method("selective"); },
                        {"--recompute-method", "'selective'"});
}

struct TrainedModel {
  std::vector<double> losses;
  std::vector<float> grads;
  size_t activation_bytes = 0;
};

// Two accumulated micro-batches of one model with the given policy.
TrainedModel train(const ModelConfig& cfg, DType compute, const RecomputePolicy& policy, int64_t B,
                   int64_t T) {
  std::unique_ptr<ModelWeights> w = testing::tiny_weights(cfg, compute, 11);
  TransformerOptions o;
  o.recompute = policy;
  Transformer model(*w, o);
  TrainedModel r;
  for (uint64_t m = 0; m < 2; ++m) {
    const std::vector<int32_t> tokens = random_tokens(B * T, cfg.vocab_size, 20 + m);
    std::vector<int32_t> targets = random_tokens(B * T, cfg.vocab_size, 40 + m);
    targets[3] = kernels::kIgnoreIndex;
    const MicroBatch mb{B, T, tokens.data(), targets.data(), nullptr, 1000 + m, nullptr};
    r.losses.push_back(model.forward_backward(mb, 0.05f).sum);
  }
  r.grads.assign(w->grad(), w->grad() + w->size());
  r.activation_bytes = model.activation_bytes_peak();
  return r;
}

TEST(Recompute, GradientsAreBitIdenticalForEveryFamily) {
  const RecomputePolicy policies[] = {{true, RecomputeMethod::kUniform, 1},
                                      {true, RecomputeMethod::kUniform, 3},
                                      {true, RecomputeMethod::kBlock, 2}};
  for (const std::string& variant : testing::tiny_variants()) {
    for (DType compute : {DType::F32, DType::BF16}) {
      ModelConfig cfg = tiny_config(variant);
      cfg.num_layers = 4;
      cfg.hidden_dropout = cfg.attention_dropout = 0.1f;
      const TrainedModel base = train(cfg, compute, {}, 2, 8);
      for (const RecomputePolicy& p : policies) {
        SCOPED_TRACE(variant + " " + dtype_name(compute) + " method " +
                     std::to_string(static_cast<int>(p.method)) + " layers " +
                     std::to_string(p.num_layers));
        const TrainedModel r = train(cfg, compute, p, 2, 8);
        EXPECT_EQ(r.losses, base.losses);
        ASSERT_EQ(r.grads.size(), base.grads.size());
        EXPECT_EQ(std::memcmp(r.grads.data(), base.grads.data(), r.grads.size() * sizeof(float)),
                  0);
      }
    }
  }
}

TEST(Recompute, ActivationMemoryFalls) {
  ModelConfig cfg = tiny_config("gqa");
  cfg.num_layers = 8;
  cfg.max_position_embeddings = 64;
  const int64_t B = 4, T = 64;
  const size_t none = train(cfg, DType::F32, {}, B, T).activation_bytes;
  const size_t every =
      train(cfg, DType::F32, {true, RecomputeMethod::kUniform, 1}, B, T).activation_bytes;
  const size_t pairs =
      train(cfg, DType::F32, {true, RecomputeMethod::kUniform, 2}, B, T).activation_bytes;
  const size_t first4 =
      train(cfg, DType::F32, {true, RecomputeMethod::kBlock, 4}, B, T).activation_bytes;
  const size_t first1 =
      train(cfg, DType::F32, {true, RecomputeMethod::kBlock, 1}, B, T).activation_bytes;
  EXPECT_LT(every, none / 2) << every << " vs " << none;
  EXPECT_LT(every, pairs);
  EXPECT_LT(pairs, first4);
  EXPECT_LT(first4, first1);
  EXPECT_LT(first1, none);
}

}  // namespace
}  // namespace ascent
