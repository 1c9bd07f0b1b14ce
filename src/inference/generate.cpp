#include "inference/generate.h"

#include <algorithm>
#include <chrono>
#include <span>

#include "core/error.h"

namespace ascent::inference {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One sequence of a batch.
struct Seq {
  int64_t index = 0;             // in the prompts, keys the sampling draws
  std::vector<int32_t> history;  // prompt and generated tokens
  int64_t prompt_len = 0;
  int64_t budget = 0;            // tokens it may still generate
  bool done = false;
};

// Samples the next token of each sequence of `chunks` from logits [chunks, V] and records it.
void sample_step(const Tensor& logits, std::span<Seq* const> seqs, const GenerateOptions& o,
                 GenerateStats& st) {
  const int64_t V = logits.size(1);
  const int64_t sample_V = o.sample_vocab > 0 ? std::min(o.sample_vocab, V) : V;
  for (size_t i = 0; i < seqs.size(); ++i) {
    Seq& s = *seqs[i];
    std::span<float> row(logits.f32() + static_cast<int64_t>(i) * V, static_cast<size_t>(sample_V));
    const uint64_t step = static_cast<uint64_t>(s.history.size()) - static_cast<uint64_t>(s.prompt_len);
    const int32_t t =
        sampling::next_token(row, s.history, o.sampling, step, static_cast<uint64_t>(s.index));
    ++st.new_tokens;
    --s.budget;
    if (t == o.eos_id) {
      s.done = true;
      continue;
    }
    s.history.push_back(t);
    if (s.budget <= 0) s.done = true;
  }
}

// Generates for prompts [first, first + n) in cache slots 0..n-1.
void generate_batch(Decoder& decoder, const std::vector<std::vector<int32_t>>& prompts,
                    int64_t first, int64_t n, const GenerateOptions& o, GenerateStats& st,
                    std::vector<std::vector<int32_t>>& out) {
  const int64_t limit = decoder.max_positions();
  std::vector<Seq> seqs(static_cast<size_t>(n));
  int64_t max_T = 1;
  for (int64_t i = 0; i < n; ++i) {
    Seq& s = seqs[static_cast<size_t>(i)];
    s.index = first + i;
    s.history = prompts[static_cast<size_t>(s.index)];
    s.prompt_len = static_cast<int64_t>(s.history.size());
    // The last sampled token is never fed back, so a sequence may end one past the limit.
    s.budget = std::min(o.max_new_tokens, limit - s.prompt_len + 1);
    s.done = s.budget <= 0;
    max_T = std::max(max_T, s.prompt_len + std::max<int64_t>(s.budget - 1, 0));
  }
  KvCache cache(decoder.config(), n, max_T);

  // Prefill: every prompt in one call.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<DecodeChunk> chunks;
  std::vector<Seq*> running;
  for (int64_t i = 0; i < n; ++i) {
    Seq& s = seqs[static_cast<size_t>(i)];
    if (s.done) continue;
    chunks.push_back({i, std::span<const int32_t>(s.history)});
    running.push_back(&s);
    st.prompt_tokens += s.prompt_len;
  }
  if (!chunks.empty()) sample_step(decoder.forward(chunks, cache), running, o, st);
  st.prefill_seconds += seconds_since(t0);

  // Decode: the last token of every sequence still running, one step at a time.
  t0 = std::chrono::steady_clock::now();
  while (true) {
    chunks.clear();
    running.clear();
    for (int64_t i = 0; i < n; ++i) {
      Seq& s = seqs[static_cast<size_t>(i)];
      if (s.done) continue;
      chunks.push_back({i, std::span<const int32_t>(s.history).last(1)});
      running.push_back(&s);
    }
    if (chunks.empty()) break;
    sample_step(decoder.forward(chunks, cache), running, o, st);
  }
  st.decode_seconds += seconds_since(t0);

  for (const Seq& s : seqs)
    out[static_cast<size_t>(s.index)].assign(s.history.begin() + s.prompt_len, s.history.end());
}

}  // namespace

std::vector<std::vector<int32_t>> generate(Decoder& decoder,
                                           const std::vector<std::vector<int32_t>>& prompts,
                                           const GenerateOptions& options, GenerateStats* stats) {
  sampling::validate(options.sampling);
  if (options.max_new_tokens < 0)
    throw error("[generate] --max-new-tokens must be >= 0, got ", options.max_new_tokens);
  if (options.sample_vocab < 0)
    throw error("[generate] sample_vocab must be >= 0, got ", options.sample_vocab);
  if (options.max_batch <= 0)
    throw error("[generate] batch size must be positive, got ", options.max_batch);
  for (size_t i = 0; i < prompts.size(); ++i) {
    const int64_t len = static_cast<int64_t>(prompts[i].size());
    if (len == 0) throw error("[generate] prompt ", i, " is empty");
    if (len > decoder.max_positions())
      throw error("[generate] prompt ", i, " has ", len, " tokens, more than ",
                  "max_position_embeddings ", decoder.config().max_position_embeddings);
  }
  GenerateStats st;
  std::vector<std::vector<int32_t>> out(prompts.size());
  const int64_t P = static_cast<int64_t>(prompts.size());
  for (int64_t first = 0; first < P && options.max_new_tokens > 0; first += options.max_batch)
    generate_batch(decoder, prompts, first, std::min(options.max_batch, P - first), options, st,
                   out);
  if (stats) *stats = st;
  return out;
}

}  // namespace ascent::inference
