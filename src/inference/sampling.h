#pragma once
// Choosing the next token from one row of logits: greedy, or sampling after a repetition penalty,
// temperature, top-k and top-p (nucleus) filtering, in that order (HF's order). Sampling draws one
// uniform number from ascent::Rng keyed by (seed, step) at position `row`, so a run is
// deterministic for a seed and a sequence's draws do not depend on which others share its batch.
#include <cstdint>
#include <span>

namespace ascent::inference::sampling {

struct Options {
  float temperature = 0.f;         // 0 = greedy
  int64_t top_k = 0;               // keep the k most likely tokens (0 = all)
  float top_p = 1.f;               // keep the smallest set with probability >= top_p (1 = all)
  float repetition_penalty = 1.f;  // > 1 discourages tokens already in the sequence (1 = off)
  uint64_t seed = 1234;
};

// Throws ascent::Error "[sampling] --flag ..." for a negative temperature or top-k, a top-p
// outside (0, 1], or a repetition penalty <= 0.
void validate(const Options& o);

// Index of the largest logit (the lowest index among equals).
int32_t argmax(std::span<const float> logits);

// The filters work in place on logits [V]; removed tokens become -infinity.
// CTRL / HF: logit / penalty where positive, logit * penalty where negative, for every token
// that occurs in `history` (each token once however often it occurs; ids outside logits are
// ignored).
void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history,
                              float penalty);
// logits /= temperature (requires temperature > 0).
void apply_temperature(std::span<float> logits, float temperature);
// Keeps exactly the min(k, V) largest (ties broken towards the lower index); k <= 0 keeps all.
void top_k_filter(std::span<float> logits, int64_t k);
// Keeps the smallest set of most likely tokens whose softmax probability sums to >= p (at least
// one token; ties broken towards the lower index); p >= 1 keeps all.
void top_p_filter(std::span<float> logits, float p);
// probs [V] (=) softmax(logits), in double for the sums; -infinity gives exactly 0.
void softmax(std::span<const float> logits, std::span<float> probs);
// The token whose cumulative probability (in index order) first exceeds u * total, u in [0, 1).
int32_t sample_from(std::span<const float> probs, float u);

// The next token for one sequence. logits [V] are overwritten (used as scratch); `history` is
// the sequence so far (prompt and generated tokens) for the repetition penalty; `step` counts
// the tokens generated so far for this sequence and `row` identifies the sequence.
int32_t next_token(std::span<float> logits, std::span<const int32_t> history, const Options& o,
                   uint64_t step, uint64_t row);

}  // namespace ascent::inference::sampling
