#pragma once
// Tiny random models of every architecture variant
// and a full-sequence reference forward, shared by the model and inference tests.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "model/transformer.h"

namespace ascent::testing {

inline const std::vector<std::string>& tiny_variants() {
  static const std::vector<std::string> v = {"llama",    "gqa",   "alibi", "internlm",
                                             "normhead", "bloom", "gpt2"};
  return v;
}

inline ModelConfig tiny_config(const std::string& variant) {
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

// Random weights; biases and norm weights (0 and 1 at init) perturbed so they matter.
inline std::unique_ptr<ModelWeights> tiny_weights(const ModelConfig& cfg, DType compute,
                                                  uint64_t seed = 7) {
  auto w = std::make_unique<ModelWeights>(cfg, compute);
  w->init_random(seed);
  Rng noise(seed + 1, 1);
  for (const ParamSpec& s : w->layout().specs()) {
    if (s.weight_decay) continue;
    for (int64_t i = 0; i < s.numel; ++i)
      w->master()[s.offset + i] += 0.2f * noise.normal(static_cast<uint64_t>(s.offset + i));
  }
  w->refresh_compute();
  return w;
}

// One model per (variant, compute dtype), built on first use and shared by every test of the
// binary: a Transformer reserves (and zeroes) hundreds of MB of arena on its first forward, which
// dominated the run time when each test built its own; tests that need no reference build none.
struct TinyModel {
  ModelConfig cfg;
  std::unique_ptr<ModelWeights> weights;
  std::unique_ptr<Transformer> reference;  // built on first use (see transformer())

  Transformer& transformer() {
    if (!reference) reference = std::make_unique<Transformer>(*weights);
    return *reference;
  }
};

inline TinyModel& tiny_model(const std::string& variant, DType compute = DType::F32) {
  static std::map<std::pair<std::string, DType>, TinyModel> models;
  TinyModel& m = models[{variant, compute}];
  if (!m.weights) {
    m.cfg = tiny_config(variant);
    m.weights = tiny_weights(m.cfg, compute);
  }
  return m;
}

inline std::vector<int32_t> random_tokens(int64_t n, int64_t vocab, uint64_t seed) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  Rng r(seed, 5);
  for (int64_t i = 0; i < n; ++i)
    t[static_cast<size_t>(i)] =
        std::min(static_cast<int32_t>(r.uniform(static_cast<uint64_t>(i)) * vocab),
                 static_cast<int32_t>(vocab - 1));
  return t;
}

// Logits [T, V] of Transformer::forward on one sequence at positions 0..T-1.
inline std::vector<float> reference_logits(Transformer& model, const ModelConfig& cfg,
                                           const std::vector<int32_t>& tokens) {
  const int64_t T = static_cast<int64_t>(tokens.size());
  std::vector<float> logits(static_cast<size_t>(T * cfg.vocab_size));
  MicroBatch mb{1, T, tokens.data(), nullptr, nullptr};
  model.forward(mb, Tensor(logits.data(), DType::F32, {T, cfg.vocab_size}));
  return logits;
}

// max |a - ref| / max |ref| over n elements.
inline double max_rel_err(const float* a, const float* ref, size_t n) {
  double d = 0, r = 0;
  for (size_t i = 0; i < n; ++i) {
    d = std::max(d, std::fabs(static_cast<double>(a[i]) - ref[i]));
    r = std::max(r, std::fabs(static_cast<double>(ref[i])));
  }
  return d / std::max(r, 1e-30);
}

}  // namespace ascent::testing
