// EOD masks against a transcription of Megatron's get_ltor_masks_and_position_ids (dense T x T
// attention mask, position ids, loss mask), and pretraining batches: without flags they are the
// loader's rows untouched.
#include "data/batch.h"

#include <gtest/gtest.h>

#include <random>

#include "data/gpt_dataset.h"
#include "data_test_util.h"

namespace ascent::data {
namespace {

using testing::TestDir;

// Megatron (megatron/utils.py), per row: attention_mask = tril; for each EOD at i:
// mask[(i+1):, :(i+1)] = 0 and position_ids[(i+1):] -= i + 1 - prev_index; loss_mask[eod] = 0.
struct Megatron {
  std::vector<std::vector<uint8_t>> attend;  // [B*T][T]
  std::vector<int32_t> positions;
  std::vector<uint8_t> loss;
};

Megatron megatron(const std::vector<int32_t>& data, int64_t B, int64_t T, int32_t eod,
                  const EodMasks& m) {
  Megatron r;
  r.attend.assign(static_cast<size_t>(B * T), std::vector<uint8_t>(static_cast<size_t>(T), 0));
  r.positions.resize(static_cast<size_t>(B * T));
  r.loss.assign(static_cast<size_t>(B * T), 1);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t i = 0; i < T; ++i) {
      for (int64_t j = 0; j <= i; ++j) r.attend[b * T + i][j] = 1;
      r.positions[b * T + i] = static_cast<int32_t>(i);
      if (m.eod_mask_loss && data[b * T + i] == eod) r.loss[b * T + i] = 0;
    }
    int64_t prev = 0;
    for (int64_t i = 0; i < T; ++i) {
      if (data[b * T + i] != eod) continue;
      if (m.reset_attention_mask)
        for (int64_t q = i + 1; q < T; ++q)
          for (int64_t k = 0; k <= i; ++k) r.attend[b * T + q][k] = 0;
      if (m.reset_position_ids) {
        for (int64_t q = i + 1; q < T; ++q)
          r.positions[b * T + q] -= static_cast<int32_t>(i + 1 - prev);
        prev = i + 1;
      }
    }
  }
  return r;
}

TEST(EodMasks, MatchMegatron) {
  const int64_t B = 3, T = 40;
  const int32_t eod = 2;
  std::mt19937 gen(5);
  std::vector<int32_t> tokens(static_cast<size_t>(B * T));
  for (auto& t : tokens) t = gen() % 6 == 0 ? eod : 3 + static_cast<int32_t>(gen() % 50);
  tokens[0] = eod;          // EOD first
  tokens[2 * T - 1] = eod;  // and last in a row
  for (int flags = 0; flags < 8; ++flags) {
    EodMasks m;
    m.eod = eod;
    m.reset_position_ids = flags & 1, m.reset_attention_mask = flags & 2,
    m.eod_mask_loss = flags & 4;
    SCOPED_TRACE(flags);
    Batch b;
    b.B = B, b.T = T, b.tokens = tokens;
    for (size_t i = 0; i < tokens.size(); ++i) b.targets.push_back(static_cast<int32_t>(i % 7));
    apply_eod_masks(m, b);
    const Megatron want = megatron(tokens, B, T, eod, m);
    EXPECT_EQ(b.positions.empty(), !m.reset_position_ids);
    EXPECT_EQ(b.segments.empty(), !m.reset_attention_mask);
    for (int64_t r = 0; r < B; ++r) {
      for (int64_t i = 0; i < T; ++i) {
        const size_t q = static_cast<size_t>(r * T + i);
        const int32_t pos = b.positions.empty() ? static_cast<int32_t>(i) : b.positions[q];
        EXPECT_EQ(pos, want.positions[q]) << r << " " << i;
        EXPECT_EQ(b.targets[q] != -100, want.loss[q] == 1) << r << " " << i;
        if (want.loss[q]) {
          EXPECT_EQ(b.targets[q], static_cast<int32_t>(q % 7));
        }
        for (int64_t j = 0; j < T; ++j) {
          const bool sees = j <= i && (b.segments.empty() ||
                                       b.segments[q] == b.segments[static_cast<size_t>(r * T + j)]);
          ASSERT_EQ(sees, want.attend[q][j] == 1) << r << " " << i << " " << j;
        }
        if (!b.segments.empty() && i > 0) {
          EXPECT_GE(b.segments[q], b.segments[q - 1]);
        }
      }
    }
  }
}

TEST(LmBatches, WithoutFlagsTheLoaderRowsAreUntouched) {
  TestDir dir;
  testing::Documents docs;
  std::mt19937 gen(1);
  for (int d = 0; d < 30; ++d) {
    std::vector<int32_t> seq(20 + gen() % 30);
    for (auto& t : seq) t = static_cast<int32_t>(gen() % 100);
    docs.push_back({seq});
  }
  testing::build(dir / "lm", TokenType::U16, docs);
  auto ds = std::make_shared<const IndexedDataset>(dir / "lm");
  std::vector<int64_t> all(30);
  for (int64_t i = 0; i < 30; ++i) all[static_cast<size_t>(i)] = i;
  auto gpt = std::make_shared<const GptDataset>(ds, all, 16, 7, 0);
  DataLoader loader(gpt);
  LmBatches batches(std::make_unique<DataLoader>(gpt), 3, EodMasks{});
  std::vector<int32_t> tokens, targets;
  Batch b;
  for (int k = 0; k < 5; ++k) {
    loader.next_batch(3, tokens, targets);
    batches.next(b);
    EXPECT_EQ(b.B, 3);
    EXPECT_EQ(b.T, 16);
    EXPECT_EQ(b.tokens, tokens);
    EXPECT_EQ(b.targets, targets);
    EXPECT_TRUE(b.positions.empty() && b.segments.empty());
    EXPECT_EQ(b.real_tokens, 48);
    EXPECT_EQ(batches.consumed(), loader.consumed());
  }
}

}  // namespace
}  // namespace ascent::data
