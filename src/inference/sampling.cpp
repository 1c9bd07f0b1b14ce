#include "inference/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "core/rng.h"

namespace ascent::inference::sampling {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Indices of the finite logits, most likely first (lower index first among equals); only the
// first `limit` are ranked and returned.
std::vector<int32_t> ranked(std::span<const float> logits, size_t limit) {
  std::vector<int32_t> idx;
  idx.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    if (logits[i] != kNegInf) idx.push_back(static_cast<int32_t>(i));
  const auto before = [&](int32_t a, int32_t b) {
    const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
    return la > lb || (la == lb && a < b);
  };
  limit = std::min(limit, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(limit), idx.end(),
                    before);
  idx.resize(limit);
  return idx;
}

// Sets every logit not in keep[0, n) to -infinity.
void keep_only(std::span<float> logits, const std::vector<int32_t>& keep, size_t n) {
  std::vector<bool> kept(logits.size(), false);
  for (size_t i = 0; i < n; ++i) kept[static_cast<size_t>(keep[i])] = true;
  for (size_t i = 0; i < logits.size(); ++i)
    if (!kept[i]) logits[i] = kNegInf;
}

}  // namespace

void validate(const Options& o) {
  if (!(o.temperature >= 0.f))
    throw error("[sampling] --temperature must be >= 0, got ", o.temperature);
  if (o.top_k < 0) throw error("[sampling] --top-k must be >= 0, got ", o.top_k);
  if (!(o.top_p > 0.f && o.top_p <= 1.f))
    throw error("[sampling] --top-p must be in (0, 1], got ", o.top_p);
  if (!(o.repetition_penalty > 0.f))
    throw error("[sampling] --repetition-penalty must be > 0, got ", o.repetition_penalty);
}

int32_t argmax(std::span<const float> logits) {
  ASCENT_CHECK(!logits.empty()) << "argmax of nothing";
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<int32_t>(best);
}

void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history,
                              float penalty) {
  if (penalty == 1.f) return;
  std::vector<bool> done(logits.size(), false);
  for (int32_t t : history) {
    if (t < 0 || static_cast<size_t>(t) >= logits.size() || done[static_cast<size_t>(t)]) continue;
    done[static_cast<size_t>(t)] = true;
    float& l = logits[static_cast<size_t>(t)];
    l = l > 0.f ? l / penalty : l * penalty;
  }
}

void apply_temperature(std::span<float> logits, float temperature) {
  ASCENT_CHECK(temperature > 0.f) << "temperature " << temperature;
  for (float& l : logits) l /= temperature;
}

void top_k_filter(std::span<float> logits, int64_t k) {
  if (k <= 0 || static_cast<size_t>(k) >= logits.size()) return;
  const std::vector<int32_t> order = ranked(logits, static_cast<size_t>(k));
  keep_only(logits, order, order.size());
}

void top_p_filter(std::span<float> logits, float p) {
  if (p >= 1.f) return;
  const std::vector<int32_t> order = ranked(logits, logits.size());
  if (order.empty()) return;
  const double mx = logits[static_cast<size_t>(order[0])];
  std::vector<double> e(order.size());
  double total = 0.0;
  for (size_t i = 0; i < order.size(); ++i) {
    e[i] = std::exp(static_cast<double>(logits[static_cast<size_t>(order[i])]) - mx);
    total += e[i];
  }
  // Smallest prefix of the ranking whose probability reaches p.
  size_t n = 0;
  double cum = 0.0;
  while (n < order.size()) {
    cum += e[n] / total;
    ++n;
    if (cum >= static_cast<double>(p)) break;
  }
  keep_only(logits, order, n);
}

void softmax(std::span<const float> logits, std::span<float> probs) {
  ASCENT_CHECK(logits.size() == probs.size() && !logits.empty()) << "softmax sizes";
  const double mx = *std::max_element(logits.begin(), logits.end());
  ASCENT_CHECK(mx != kNegInf) << "softmax: every logit is -inf";
  double total = 0.0;
  for (float l : logits) total += l == kNegInf ? 0.0 : std::exp(static_cast<double>(l) - mx);
  for (size_t i = 0; i < logits.size(); ++i)
    probs[i] = logits[i] == kNegInf
                   ? 0.f
                   : static_cast<float>(std::exp(static_cast<double>(logits[i]) - mx) / total);
}

int32_t sample_from(std::span<const float> probs, float u) {
  double total = 0.0;
  for (float p : probs) total += p;
  ASCENT_CHECK(total > 0.0) << "sample_from: all probabilities are 0";
  const double target = static_cast<double>(u) * total;
  double cum = 0.0;
  int32_t last = -1;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] <= 0.f) continue;
    cum += probs[i];
    last = static_cast<int32_t>(i);
    if (cum > target) return last;
  }
  return last;  // u * total rounded above the sum
}

int32_t next_token(std::span<float> logits, std::span<const int32_t> history, const Options& o,
                   uint64_t step, uint64_t row) {
  apply_repetition_penalty(logits, history, o.repetition_penalty);
  if (o.temperature == 0.f) return argmax(logits);
  apply_temperature(logits, o.temperature);
  top_k_filter(logits, o.top_k);
  top_p_filter(logits, o.top_p);
  std::vector<float> probs(logits.size());
  softmax(logits, probs);
  return sample_from(probs, Rng(o.seed, step).uniform(row));
}

}  // namespace ascent::inference::sampling
