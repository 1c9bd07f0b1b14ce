// Sampling filters on hand-made distributions, and the sampler's statistics and determinism.
#include "inference/sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"

namespace ascent::inference::sampling {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> log_probs(const std::vector<float>& p) {
  std::vector<float> l;
  for (float x : p) l.push_back(std::log(x));
  return l;
}

std::vector<int> kept(const std::vector<float>& logits) {
  std::vector<int> k;
  for (size_t i = 0; i < logits.size(); ++i)
    if (logits[i] != kNegInf) k.push_back(static_cast<int>(i));
  return k;
}

TEST(Sampling, ArgmaxTakesTheLowestIndexAmongEquals) {
  EXPECT_EQ(argmax(std::vector<float>{1.f, 3.f, -2.f, 3.f}), 1);
  EXPECT_EQ(argmax(std::vector<float>{-5.f}), 0);
}

TEST(Sampling, TopPKeepsTheSmallestSetReachingP) {
  const std::vector<float> p = {0.1f, 0.4f, 0.2f, 0.3f};
  auto filtered = [&](float top_p) {
    std::vector<float> l = log_probs(p);
    top_p_filter(l, top_p);
    return kept(l);
  };
  EXPECT_EQ(filtered(0.35f), (std::vector<int>{1}));           // 0.4 >= 0.35
  EXPECT_EQ(filtered(0.5f), (std::vector<int>{1, 3}));         // 0.4 < 0.5 <= 0.7
  EXPECT_EQ(filtered(0.75f), (std::vector<int>{1, 2, 3}));     // 0.7 < 0.75 <= 0.9
  EXPECT_EQ(filtered(0.95f), (std::vector<int>{0, 1, 2, 3}));  // needs everything
  EXPECT_EQ(filtered(1.0f), (std::vector<int>{0, 1, 2, 3}));
  // Kept logits are unchanged; p is measured over what earlier filters left.
  std::vector<float> l = log_probs(p);
  l[1] = kNegInf;  // remaining: 0.1, 0.2, 0.3 -> 1/6, 2/6, 3/6
  top_p_filter(l, 0.6f);
  EXPECT_EQ(kept(l), (std::vector<int>{2, 3}));
  EXPECT_FLOAT_EQ(l[3], std::log(0.3f));
}

TEST(Sampling, TopKKeepsExactlyKBreakingTiesByIndex) {
  std::vector<float> l = {0.5f, 2.f, -1.f, 2.f, 1.f};
  top_k_filter(l, 2);
  EXPECT_EQ(kept(l), (std::vector<int>{1, 3}));
  l = {0.5f, 2.f, -1.f, 2.f, 1.f};
  top_k_filter(l, 1);
  EXPECT_EQ(kept(l), (std::vector<int>{1}));
  l = {0.5f, 2.f, -1.f};
  top_k_filter(l, 0);
  EXPECT_EQ(kept(l).size(), 3u);
  top_k_filter(l, 7);
  EXPECT_EQ(kept(l).size(), 3u);
}

TEST(Sampling, RepetitionPenaltyDividesPositiveAndMultipliesNegativeOnce) {
  std::vector<float> l = {2.f, -2.f, 1.f, 4.f};
  const std::vector<int32_t> history = {0, 1, 0, 0};
  apply_repetition_penalty(l, history, 2.f);
  EXPECT_EQ(l, (std::vector<float>{1.f, -4.f, 1.f, 4.f}));
}

TEST(Sampling, TemperatureDividesLogits) {
  std::vector<float> l = {2.f, -1.f, 0.5f};
  apply_temperature(l, 0.5f);
  EXPECT_EQ(l, (std::vector<float>{4.f, -2.f, 1.f}));
}

TEST(Sampling, SampleFromWalksTheCumulativeDistribution) {
  const std::vector<float> p = {0.f, 0.25f, 0.f, 0.75f, 0.f};
  EXPECT_EQ(sample_from(p, 0.f), 1);
  EXPECT_EQ(sample_from(p, 0.2499f), 1);
  EXPECT_EQ(sample_from(p, 0.25f), 3);
  EXPECT_EQ(sample_from(p, 0.99999994f), 3);
}

// Empirical frequencies of next_token over many steps follow softmax(logits / temperature).
TEST(Sampling, FrequenciesFollowTemperatureScaledSoftmax) {
  const std::vector<float> p = {0.1f, 0.2f, 0.3f, 0.4f};
  for (float temperature : {1.f, 2.f, 0.5f}) {
    Options o;
    o.temperature = temperature;
    o.seed = 77;
    std::vector<double> expect(p.size()), count(p.size(), 0.0);
    double z = 0;
    for (size_t i = 0; i < p.size(); ++i) z += expect[i] = std::pow(p[i], 1.0 / temperature);
    const int n = 20000;
    for (int s = 0; s < n; ++s) {
      std::vector<float> l = log_probs(p);
      count[static_cast<size_t>(next_token(l, {}, o, static_cast<uint64_t>(s), 3))] += 1.0 / n;
    }
    for (size_t i = 0; i < p.size(); ++i)
      EXPECT_NEAR(count[i], expect[i] / z, 0.015) << "temperature " << temperature << " token " << i;
  }
}

TEST(Sampling, DeterministicForASeedAndKeyedByStepAndRow) {
  const std::vector<float> base = {0.3f, 0.1f, 0.9f, 0.2f, 0.5f, 0.0f, 0.7f, 0.4f};
  Options o;
  o.temperature = 1.f;
  auto draws = [&](uint64_t seed, uint64_t row) {
    Options oo = o;
    oo.seed = seed;
    std::vector<int32_t> out;
    for (uint64_t s = 0; s < 64; ++s) {
      std::vector<float> l = base;
      out.push_back(next_token(l, {}, oo, s, row));
    }
    return out;
  };
  EXPECT_EQ(draws(5, 0), draws(5, 0));
  EXPECT_NE(draws(5, 0), draws(6, 0));
  EXPECT_NE(draws(5, 0), draws(5, 1));
}

TEST(Sampling, GreedyAndTopKOneAgree) {
  const std::vector<float> base = {0.3f, 0.1f, 0.9f, 0.2f, 0.95f, 0.0f};
  Options greedy;
  Options top1;
  top1.temperature = 1.3f;
  top1.top_k = 1;
  for (uint64_t s = 0; s < 20; ++s) {
    std::vector<float> a = base, b = base;
    EXPECT_EQ(next_token(a, {}, greedy, s, 0), 4);
    EXPECT_EQ(next_token(b, {}, top1, s, 0), 4);
  }
  // With a repetition penalty the greedy choice moves off a repeated token.
  std::vector<float> a = base;
  Options pen;
  pen.repetition_penalty = 1.2f;
  EXPECT_EQ(next_token(a, std::vector<int32_t>{4}, pen, 0, 0), 2);
}

TEST(Sampling, ValidateNamesTheFlag) {
  Options o;
  o.top_p = 0.f;
  EXPECT_THROW(validate(o), Error);
  o = Options();
  o.temperature = -1.f;
  EXPECT_THROW(validate(o), Error);
  o = Options();
  o.top_k = -2;
  EXPECT_THROW(validate(o), Error);
  o = Options();
  o.repetition_penalty = 0.f;
  try {
    validate(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--repetition-penalty"), std::string::npos);
  }
  validate(Options());
}

}  // namespace
}  // namespace ascent::inference::sampling
