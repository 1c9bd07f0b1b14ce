// Incremental decoding with a KV cache against the training forward: for a tiny random model of
// every architecture variant, the logits of a prefill followed by one token (or a chunk) at a time
// equal Transformer::forward's logits of the whole sequence at every position.
#include "inference/decoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "support/tiny_models.h"

namespace ascent::inference {
namespace {

using testing::max_rel_err;
using testing::random_tokens;
using testing::reference_logits;
using testing::tiny_model;
using testing::TinyModel;

constexpr double kTol = 1e-5;

class DecoderVariant : public ::testing::TestWithParam<std::string> {};

// Feeds `tokens` to slot 0 in chunks of the given sizes and compares every position's logits.
void check_chunks(const std::string& variant, const std::vector<int64_t>& sizes) {
  TinyModel& m = tiny_model(variant);
  const ModelConfig& cfg = m.cfg;
  int64_t T = 0;
  for (int64_t s : sizes) T += s;
  const std::vector<int32_t> tokens = random_tokens(T, cfg.vocab_size, 21);
  const std::vector<float> ref = reference_logits(m.transformer(), cfg, tokens);

  Decoder dec(*m.weights);
  KvCache cache(cfg, 1, T);
  const int64_t V = cfg.vocab_size;
  int64_t pos = 0;
  for (int64_t n : sizes) {
    DecodeChunk c{0, std::span<const int32_t>(tokens).subspan(static_cast<size_t>(pos),
                                                              static_cast<size_t>(n))};
    Tensor all = dec.forward({&c, 1}, cache, LogitsFor::All);
    ASSERT_EQ(all.size(0), n);
    ASSERT_EQ(all.size(1), V);
    for (int64_t i = 0; i < n; ++i) {
      const double e =
          max_rel_err(all.f32() + i * V, ref.data() + (pos + i) * V, static_cast<size_t>(V));
      EXPECT_LT(e, kTol) << variant << " position " << pos + i;
    }
    pos += n;
    EXPECT_EQ(cache.length(0), pos);
  }
}

// One test per variant for three chunkings (each test process pays for a Transformer's arena).
TEST_P(DecoderVariant, IncrementalDecodingMatchesFullForward) {
  {
    SCOPED_TRACE("prefill of 4, then one token at a time");
    check_chunks(GetParam(), {4, 1, 1, 1, 1, 1, 1, 1, 1});
  }
  {
    SCOPED_TRACE("one token at a time from the start");
    check_chunks(GetParam(), std::vector<int64_t>(10, 1));
  }
  {
    SCOPED_TRACE("uneven chunks");
    check_chunks(GetParam(), {5, 3, 1, 4, 2});
  }
}

// Three sequences of different lengths in one cache, at their own positions, in one call per
// step; sequences drop out as they end. Slots are not in call order.
TEST_P(DecoderVariant, RaggedBatchMatchesFullForwardOfEachSequence) {
  const std::string variant = GetParam();
  TinyModel& m = tiny_model(variant);
  const ModelConfig& cfg = m.cfg;
  const int64_t V = cfg.vocab_size;
  const std::vector<int64_t> lens = {12, 7, 10}, prefill = {5, 2, 7}, slots = {2, 0, 1};
  std::vector<std::vector<int32_t>> seqs;
  std::vector<std::vector<float>> refs;
  for (size_t s = 0; s < lens.size(); ++s) {
    seqs.push_back(random_tokens(lens[s], V, 100 + s));
    refs.push_back(reference_logits(m.transformer(), cfg, seqs[s]));
  }
  Decoder dec(*m.weights);
  KvCache cache(cfg, 3, 12);
  std::vector<int64_t> done(3, 0);
  for (bool first = true;; first = false) {
    std::vector<DecodeChunk> chunks;
    std::vector<size_t> which;
    for (size_t s = 0; s < seqs.size(); ++s) {
      if (done[s] == lens[s]) continue;
      const int64_t n = first ? prefill[s] : 1;
      chunks.push_back({slots[s], std::span<const int32_t>(seqs[s]).subspan(
                                      static_cast<size_t>(done[s]), static_cast<size_t>(n))});
      which.push_back(s);
    }
    if (chunks.empty()) break;
    Tensor last = dec.forward(chunks, cache, LogitsFor::Last);
    ASSERT_EQ(last.size(0), static_cast<int64_t>(chunks.size()));
    for (size_t i = 0; i < which.size(); ++i) {
      const size_t s = which[i];
      done[s] += static_cast<int64_t>(chunks[i].tokens.size());
      EXPECT_EQ(cache.length(slots[s]), done[s]);
      const double e = max_rel_err(last.f32() + static_cast<int64_t>(i) * V,
                                   refs[s].data() + (done[s] - 1) * V, static_cast<size_t>(V));
      EXPECT_LT(e, kTol) << variant << " sequence " << s << " position " << done[s] - 1;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, DecoderVariant, ::testing::ValuesIn(testing::tiny_variants()));

// bf16 matmul operands: the decoder makes the same casts as training, so it stays close to the
// bf16 training forward (not bit-equal: an f32 difference of one ulp can round a bf16 the other
// way).
TEST(Decoder, Bf16ComputeFollowsTrainingForward) {
  for (const std::string variant : {"llama", "normhead", "bloom"}) {
    TinyModel& m = tiny_model(variant, DType::BF16);
    const ModelConfig& cfg = m.cfg;
    const std::vector<int32_t> tokens = random_tokens(9, cfg.vocab_size, 3);
    const std::vector<float> ref = reference_logits(m.transformer(), cfg, tokens);
    Decoder dec(*m.weights);
    KvCache cache(cfg, 1, 9);
    const int64_t V = cfg.vocab_size;
    DecodeChunk c{0, std::span<const int32_t>(tokens).first(5)};
    dec.forward({&c, 1}, cache);
    for (int64_t t = 5; t < 9; ++t) {
      c.tokens = std::span<const int32_t>(tokens).subspan(static_cast<size_t>(t), 1);
      Tensor l = dec.forward({&c, 1}, cache);
      EXPECT_LT(max_rel_err(l.f32(), ref.data() + t * V, static_cast<size_t>(V)), 2e-2)
          << variant << " position " << t;
    }
  }
}

// Learned positions and an embedding LayerNorm together (no preset has both): the decoder adds
// the positions before the norm, as the training forward does (both run model's Embedding).
TEST(Decoder, LearnedPositionsGoBeforeTheEmbeddingNorm) {
  ModelConfig cfg = testing::tiny_config("gpt2");
  cfg.embedding_norm = true;
  std::unique_ptr<ModelWeights> w = testing::tiny_weights(cfg, DType::F32);
  Transformer model(*w);
  const std::vector<int32_t> tokens = random_tokens(6, cfg.vocab_size, 3);
  const std::vector<float> ref = reference_logits(model, cfg, tokens);
  Decoder dec(*w);
  KvCache cache(cfg, 1, 6);
  DecodeChunk c{0, tokens};
  Tensor all = dec.forward({&c, 1}, cache, LogitsFor::All);
  EXPECT_LT(max_rel_err(all.f32(), ref.data(), ref.size()), kTol);
}

TEST(Decoder, RejectsBadTokensAndTooLongSequencesWithoutWriting) {
  const ModelConfig& cfg = tiny_model("gpt2").cfg;  // 16 learned positions
  Decoder dec(*tiny_model("gpt2").weights);
  KvCache cache(cfg, 2, 32);
  std::vector<int32_t> bad = {1, 2, static_cast<int32_t>(cfg.vocab_size)};
  DecodeChunk c{0, bad};
  EXPECT_THROW(dec.forward({&c, 1}, cache), Error);
  EXPECT_EQ(cache.length(0), 0);

  std::vector<int32_t> long_seq = random_tokens(17, cfg.vocab_size, 1);
  c = {1, long_seq};
  EXPECT_THROW(dec.forward({&c, 1}, cache), Error);
  EXPECT_EQ(cache.length(1), 0);
  c.tokens = std::span<const int32_t>(long_seq).first(16);
  dec.forward({&c, 1}, cache);
  EXPECT_EQ(cache.length(1), 16);
  c.tokens = std::span<const int32_t>(long_seq).last(1);
  EXPECT_THROW(dec.forward({&c, 1}, cache), Error);
  EXPECT_EQ(cache.length(1), 16);

  // ALiBi has no position table: only the cache bounds the length.
  const ModelConfig& acfg = tiny_model("alibi").cfg;
  Decoder adec(*tiny_model("alibi").weights);
  EXPECT_EQ(adec.max_positions(), std::numeric_limits<int64_t>::max());
  KvCache acache(acfg, 1, 20);
  std::vector<int32_t> t20 = random_tokens(20, acfg.vocab_size, 2);
  c = {0, t20};
  EXPECT_EQ(adec.forward({&c, 1}, acache).size(0), 1);
  c.tokens = std::span<const int32_t>(t20).first(1);
  EXPECT_THROW(adec.forward({&c, 1}, acache), Error);
}

}  // namespace
}  // namespace ascent::inference
