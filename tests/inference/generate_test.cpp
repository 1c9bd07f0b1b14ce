// Generation loop: greedy decoding with the KV cache equals re-running the full training forward
// on the growing sequence and taking the argmax; batching, seeds, EOS and the position limit.
#include "inference/generate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "support/tiny_models.h"

namespace ascent::inference {
namespace {

using testing::random_tokens;
using testing::reference_logits;
using testing::tiny_model;
using testing::TinyModel;

std::vector<std::vector<int32_t>> prompts_for(const ModelConfig& cfg) {
  return {random_tokens(5, cfg.vocab_size, 1), random_tokens(1, cfg.vocab_size, 2),
          random_tokens(8, cfg.vocab_size, 3), random_tokens(3, cfg.vocab_size, 4)};
}

class GenerateVariant : public ::testing::TestWithParam<std::string> {};

TEST_P(GenerateVariant, GreedyEqualsArgmaxOfFullForwardEachStep) {
  TinyModel& m = tiny_model(GetParam());
  const ModelConfig& cfg = m.cfg;
  Decoder dec(*m.weights);
  const auto prompts = prompts_for(cfg);
  GenerateOptions o;
  o.max_new_tokens = 7;
  o.max_batch = 3;  // a batch of three ragged prompts, then one alone
  GenerateStats st;
  const auto out = generate(dec, prompts, o, &st);
  ASSERT_EQ(out.size(), prompts.size());
  int64_t prompt_tokens = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    prompt_tokens += static_cast<int64_t>(prompts[i].size());
    ASSERT_EQ(out[i].size(), 7u) << "prompt " << i;
    std::vector<int32_t> seq = prompts[i];
    for (int32_t got : out[i]) {
      const std::vector<float> l = reference_logits(m.transformer(), cfg, seq);
      const std::span<const float> last(l.data() + (seq.size() - 1) * cfg.vocab_size,
                                        static_cast<size_t>(cfg.vocab_size));
      EXPECT_EQ(got, sampling::argmax(last)) << "prompt " << i << " after " << seq.size();
      seq.push_back(got);
    }
  }
  EXPECT_EQ(st.prompt_tokens, prompt_tokens);
  EXPECT_EQ(st.new_tokens, 4 * 7);
}

INSTANTIATE_TEST_SUITE_P(Variants, GenerateVariant, ::testing::ValuesIn(testing::tiny_variants()));

TEST(Generate, TopKOneEqualsGreedyAndSeedsAreReproducible) {
  const ModelConfig& cfg = tiny_model("gqa").cfg;
  Decoder dec(*tiny_model(cfg.name).weights);
  const auto prompts = prompts_for(cfg);
  GenerateOptions greedy;
  greedy.max_new_tokens = 8;
  GenerateOptions top1 = greedy;
  top1.sampling.temperature = 1.5f;
  top1.sampling.top_k = 1;
  EXPECT_EQ(generate(dec, prompts, greedy), generate(dec, prompts, top1));

  GenerateOptions sample = greedy;
  sample.sampling.temperature = 1.5f;
  sample.sampling.top_p = 0.9f;
  sample.sampling.seed = 42;
  const auto a = generate(dec, prompts, sample);
  EXPECT_EQ(a, generate(dec, prompts, sample));
  EXPECT_NE(a, generate(dec, prompts, greedy));
  GenerateOptions other = sample;
  other.sampling.seed = 43;
  EXPECT_NE(a, generate(dec, prompts, other));
  // A prompt's continuation does not depend on how the prompts are batched.
  GenerateOptions one_by_one = sample;
  one_by_one.max_batch = 1;
  EXPECT_EQ(a, generate(dec, prompts, one_by_one));
}

TEST(Generate, StopsAtEosAndAtThePositionLimit) {
  const ModelConfig& cfg = tiny_model("gpt2").cfg;  // 16 learned positions
  Decoder dec(*tiny_model(cfg.name).weights);
  const std::vector<std::vector<int32_t>> prompts = {random_tokens(10, cfg.vocab_size, 8)};
  GenerateOptions o;
  o.max_new_tokens = 30;
  const auto full = generate(dec, prompts, o);
  // Positions 10..15 are fed, and the token sampled after position 15 ends the sequence.
  ASSERT_EQ(full[0].size(), 7u);

  // EOS = the third greedy token that is not also an earlier one: generation stops before it.
  size_t k = 2;
  while (k < full[0].size() &&
         std::find(full[0].begin(), full[0].begin() + static_cast<long>(k), full[0][k]) !=
             full[0].begin() + static_cast<long>(k))
    ++k;
  ASSERT_LT(k, full[0].size());
  o.eos_id = full[0][k];
  GenerateStats st;
  const auto cut = generate(dec, prompts, o, &st);
  EXPECT_EQ(cut[0], std::vector<int32_t>(full[0].begin(), full[0].begin() + static_cast<long>(k)));
  EXPECT_EQ(st.new_tokens, static_cast<int64_t>(k) + 1);  // the EOS was sampled, not returned

  o.max_new_tokens = 0;
  EXPECT_TRUE(generate(dec, prompts, o)[0].empty());
}

// A tokenizer smaller than the model's embedding: only its ids are sampled.
TEST(Generate, SamplesOnlyBelowSampleVocab) {
  TinyModel& m = tiny_model("llama");
  Decoder dec(*m.weights);
  const auto prompts = prompts_for(m.cfg);
  GenerateOptions o;
  o.max_new_tokens = 6;
  o.sample_vocab = 5;
  o.sampling.repetition_penalty = 1.3f;  // prompt ids beyond the limit are ignored
  const auto greedy = generate(dec, prompts, o);
  o.sampling.temperature = 2.f;
  const auto sampled = generate(dec, prompts, o);
  for (const auto* out : {&greedy, &sampled})
    for (const auto& seq : *out) {
      ASSERT_EQ(seq.size(), 6u);
      for (int32_t t : seq) EXPECT_LT(t, 5);
    }
  // The first greedy token is the argmax of the first five logits (with the penalty applied).
  std::vector<float> l = reference_logits(m.transformer(), m.cfg, prompts[0]);
  std::span<float> last(l.data() + (prompts[0].size() - 1) * m.cfg.vocab_size, 5);
  sampling::apply_repetition_penalty(last, prompts[0], 1.3f);
  EXPECT_EQ(greedy[0][0], sampling::argmax(last));
}

TEST(Generate, RejectsEmptyAndTooLongPrompts) {
  const ModelConfig& cfg = tiny_model("llama").cfg;
  Decoder dec(*tiny_model(cfg.name).weights);
  GenerateOptions o;
  EXPECT_THROW(generate(dec, {{}}, o), Error);
  EXPECT_THROW(generate(dec, {random_tokens(17, cfg.vocab_size, 1)}, o), Error);
  o.sampling.top_p = 1.5f;
  EXPECT_THROW(generate(dec, {{1, 2}}, o), Error);
}

}  // namespace
}  // namespace ascent::inference
