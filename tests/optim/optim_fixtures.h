#pragma once
// What the optimizer tests need besides the tiny models: which tensors Megatron decays (decided
// from the names alone, independently of ParamLayout's own flag) and random gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/weights.h"

namespace ascent::testing {

// Megatron's _get_params_for_weight_decay_optimization: biases and norm weights are not decayed;
// every other weight (embeddings and the LM head included) is.
inline bool megatron_decays(const std::string& name) {
  const bool bias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  return !bias && name.find("norm") == std::string::npos;
}

enum class ElementKind { kPadding, kNoDecay, kDecay };

// The kind of every flat element of `layout` (alignment gaps are padding).
inline std::vector<ElementKind> element_kinds(const ParamLayout& layout) {
  std::vector<ElementKind> kind(static_cast<size_t>(layout.total()), ElementKind::kPadding);
  for (const ParamSpec& s : layout.specs())
    for (int64_t i = s.offset; i < s.offset + s.numel; ++i)
      kind[static_cast<size_t>(i)] =
          megatron_decays(s.name) ? ElementKind::kDecay : ElementKind::kNoDecay;
  return kind;
}

// N(0, stddev) gradients on every tensor element, zero in the padding (as backward leaves it).
inline void fill_random_grads(ModelWeights& w, uint64_t seed, float stddev = 1.f) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> normal(0.f, stddev);
  const std::vector<ElementKind> kind = element_kinds(w.layout());
  for (int64_t i = 0; i < w.size(); ++i)
    w.grad()[i] = kind[static_cast<size_t>(i)] == ElementKind::kPadding ? 0.f : normal(gen);
}

// |got - want| within f32 rounding of a few operations on values of this size (reports 5 at most).
inline void expect_close(const float* got, const std::vector<double>& want,
                         const std::string& what) {
  int bad = 0;
  for (size_t i = 0; i < want.size() && bad < 5; ++i) {
    const double tol = 2e-6 * (1.0 + std::fabs(want[i]));
    if (std::fabs(got[i] - want[i]) > tol) {
      ADD_FAILURE() << what << " element " << i << ": " << got[i] << " vs reference " << want[i];
      ++bad;
    }
  }
}

inline std::vector<float> copy_of(const float* p, int64_t n) { return {p, p + n}; }

}  // namespace ascent::testing
