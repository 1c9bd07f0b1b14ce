#pragma once
// Autoregressive generation over token ids (no tokenizer here): prompts are decoded in batches of
// up to max_batch sequences of any lengths, each in its own KV cache slot at its own positions.
// One prefill call for the batch, then one decode call per step over the sequences still running.
#include <cstdint>
#include <vector>

#include "inference/decoder.h"
#include "inference/sampling.h"

namespace ascent::inference {

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  int32_t eos_id = -1;    // a sequence stops when it samples this id (< 0: never)
  int64_t max_batch = 8;  // sequences decoded together
  // Sample only ids below this (0: the whole vocabulary). For a tokenizer smaller than the
  // model's (padded) embedding table, whose extra ids decode to nothing.
  int64_t sample_vocab = 0;
  sampling::Options sampling;
};

struct GenerateStats {
  int64_t prompt_tokens = 0;     // tokens prefilled
  int64_t new_tokens = 0;        // tokens sampled (EOS included)
  double prefill_seconds = 0.0;  // prefill calls and the first token of each sequence
  double decode_seconds = 0.0;   // every later step
};

// The continuation of each prompt: at most max_new_tokens ids, without the prompt and without
// the EOS that ended it. A sequence also stops at the model's position limit
// (Decoder::max_positions()). Deterministic for a seed; a prompt's continuation does not depend
// on the other prompts (its sampling draws are keyed by its index in `prompts`).
// Throws ascent::Error "[generate] ..." for an empty prompt, a prompt longer than the position
// limit, a token outside the vocabulary, or bad options.
std::vector<std::vector<int32_t>> generate(Decoder& decoder,
                                           const std::vector<std::vector<int32_t>>& prompts,
                                           const GenerateOptions& options,
                                           GenerateStats* stats = nullptr);

}  // namespace ascent::inference
