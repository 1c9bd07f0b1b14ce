// Pipeline stages in one process: the model cut into stages (even, uneven and interleaved
// chunks), each stage a Transformer over its own shard, with several micro-batches in flight in
// 1F1B order, computes the whole model's losses and gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "model/shard_copy.h"
#include "model/transformer.h"
#include "support/tiny_models.h"

namespace ascent {
namespace {

using testing::random_tokens;
using testing::tiny_config;

struct Mb {
  std::vector<int32_t> tokens, targets;
  MicroBatch view(int64_t B, int64_t T) const {
    return MicroBatch{B, T, tokens.data(), targets.data(), nullptr, 99, nullptr};
  }
};

Mb make_mb(const ModelConfig& cfg, int64_t n, uint64_t seed) {
  Mb m;
  m.tokens = random_tokens(n, cfg.vocab_size, seed);
  m.targets = random_tokens(n, cfg.vocab_size, seed + 100);
  m.targets[1] = kernels::kIgnoreIndex;
  return m;
}

// Norm of the difference over the norm of the reference.
double rel_err(const std::vector<float>& a, const std::vector<float>& ref) {
  double d = 0, r = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += (static_cast<double>(a[i]) - ref[i]) * (static_cast<double>(a[i]) - ref[i]);
    r += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(d) / std::max(std::sqrt(r), 1e-30);
}

// Runs M micro-batches through `pp` stages of `mp` in 1F1B order of a 1-rank-per-stage pipeline
// (all forwards of a micro-batch down the stages, then its backward up), with `in_flight`
// micro-batches started before the first backward; compares with the whole model.
void check_pipeline(const std::string& variant, const ModelParallelConfig& mp, int in_flight,
                    float dropout, const RecomputePolicy& recompute = {}) {
  SCOPED_TRACE(variant + " pp " + std::to_string(mp.pipeline_model_parallel_size) +
               " chunks-layers " + std::to_string(mp.num_layers_per_virtual_pipeline_stage));
  ModelConfig cfg = tiny_config(variant);
  cfg.num_layers = 4;
  cfg.hidden_dropout = cfg.attention_dropout = dropout;
  const int64_t B = 2, T = 8, M = 3;
  std::vector<Mb> mbs;
  for (int64_t m = 0; m < M; ++m) mbs.push_back(make_mb(cfg, B * T, 10 + m));

  ModelWeights whole(cfg, DType::F32);
  whole.init_random(5);
  Transformer ref(whole);
  std::vector<double> ref_loss;
  for (int64_t m = 0; m < M; ++m)
    ref_loss.push_back(ref.forward_backward(mbs[m].view(B, T), 0.1f).sum);

  // Every (stage, chunk) in pipeline order.
  const int P = mp.pipeline_model_parallel_size, V = mp.virtual_stages(cfg);
  std::vector<std::unique_ptr<ModelWeights>> weights;
  struct Piece {
    ModelWeights* w;
    std::unique_ptr<Transformer> t;
  };
  std::vector<Piece> order(static_cast<size_t>(P * V));
  for (int p = 0; p < P; ++p) {
    weights.push_back(std::make_unique<ModelWeights>(cfg, DType::F32, mp.shard(cfg, 0, p)));
    weights.back()->init_random(5);
    for (int c = 0; c < V; ++c) {
      TransformerOptions o;
      o.chunk = c;
      o.slots = in_flight;
      o.recompute = recompute;
      order[c * P + p] = {weights.back().get(), std::make_unique<Transformer>(*weights.back(), o)};
    }
  }
  ASSERT_TRUE(order.front().t->first_stage());
  ASSERT_TRUE(order.back().t->last_stage());

  std::vector<double> loss(M, 0.0);
  auto forward = [&](int64_t m) {
    Tensor x;
    for (size_t v = 0; v < order.size(); ++v) {
      LossSum l;
      x = order[v].t->stage_forward(static_cast<int>(m % in_flight), mbs[m].view(B, T),
                                    v ? x.f32() : nullptr, true, 0.1f, &l);
      if (v + 1 == order.size()) loss[m] = l.sum;
    }
  };
  auto backward = [&](int64_t m) {
    Tensor d;
    for (size_t v = order.size(); v-- > 0;)
      d = order[v].t->stage_backward(static_cast<int>(m % in_flight),
                                     v + 1 < order.size() ? d.f32() : nullptr);
  };
  int64_t next_f = 0;
  for (; next_f < std::min<int64_t>(in_flight, M); ++next_f) forward(next_f);
  for (int64_t m = 0; m < M; ++m) {
    backward(m);
    if (next_f < M) forward(next_f++);
  }
  for (int64_t m = 0; m < M; ++m) EXPECT_NEAR(loss[m], ref_loss[m], 1e-5 * std::fabs(ref_loss[m]));

  // Gradients: every tensor of every stage against its slice of the whole model's; the tied
  // head copy on the last stage plus the first stage's embedding make the whole gradient.
  std::vector<float> tied_sum;
  for (const auto& w : weights) {
    for (const ParamSpec& s : w->layout().specs()) {
      const ParamSpec* g = whole.layout().find(s.name);
      ASSERT_NE(g, nullptr) << s.name;
      std::vector<float> want(s.numel), got(w->grad() + s.offset, w->grad() + s.offset + s.numel);
      global_to_shard(s, whole.grad() + g->offset, want.data());
      if (cfg.tied_embeddings && s.name == "model.embed_tokens.weight" && P > 1) {
        if (tied_sum.empty()) tied_sum.assign(s.numel, 0.f);
        for (int64_t i = 0; i < s.numel; ++i) tied_sum[i] += got[i];
        continue;
      }
      EXPECT_LT(rel_err(got, want), 1e-5) << s.name;
    }
  }
  if (!tied_sum.empty()) {
    const ParamSpec* g = whole.layout().find("model.embed_tokens.weight");
    std::vector<float> want(whole.grad() + g->offset, whole.grad() + g->offset + g->numel);
    EXPECT_LT(rel_err(tied_sum, want), 1e-5);
  }
}

TEST(PipelineStages, TwoStagesMatchTheWholeModel) {
  for (const char* v : {"gqa", "bloom", "gpt2", "normhead"}) {
    ModelParallelConfig mp;
    mp.pipeline_model_parallel_size = 2;
    check_pipeline(v, mp, 2, 0.f);
  }
}

TEST(PipelineStages, UnevenStagesWithDropout) {
  ModelParallelConfig mp;
  mp.pipeline_model_parallel_size = 3;
  mp.manual_layers = {1, 2, 1};
  check_pipeline("gqa", mp, 3, 0.1f);
  check_pipeline("bloom", mp, 3, 0.1f);
}

TEST(PipelineStages, InterleavedChunks) {
  ModelParallelConfig mp;
  mp.pipeline_model_parallel_size = 2;
  mp.num_layers_per_virtual_pipeline_stage = 1;
  check_pipeline("gqa", mp, 2, 0.f);
  check_pipeline("bloom", mp, 1, 0.1f);
}

// Each stage drops its layers' activations after the forward and rebuilds them before the
// backward while other micro-batches are in flight: same losses and gradients.
TEST(PipelineStages, RecomputedStagesWithDropout) {
  ModelParallelConfig mp;
  mp.pipeline_model_parallel_size = 2;
  mp.manual_layers = {3, 1};
  RecomputePolicy uniform{true, RecomputeMethod::kUniform, 2};
  check_pipeline("gqa", mp, 2, 0.1f, uniform);
  check_pipeline("bloom", mp, 2, 0.1f, uniform);
  RecomputePolicy block{true, RecomputeMethod::kBlock, 1};
  mp.manual_layers.clear();
  mp.num_layers_per_virtual_pipeline_stage = 1;
  check_pipeline("gqa", mp, 2, 0.1f, block);
}

}  // namespace
}  // namespace ascent
