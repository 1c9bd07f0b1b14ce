// Instruction micro-batches: the shift (label of position t is labels[t+1]), truncation, padding
// to --seq-length or to a multiple of 32, packed rows (positions restart, one segment per
// sample), the same loss tokens per epoch in every layout, data-parallel ranks and resume.
#include "data/instruction_batches.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "data/gpt_dataset.h"
#include "data_test_util.h"
#include "instruction_test_util.h"

namespace ascent::data {
namespace {

using testing::InstructionSample;
using testing::TestDir;

constexpr int32_t kPad = 0;

struct Fixture {
  std::vector<InstructionSample> samples;
  std::shared_ptr<const InstructionDataset> ds;
  std::shared_ptr<const InstructionSplit> split;

  Fixture(const TestDir& dir, int64_t n, int64_t max_len,
          const std::string& split_arg = "100,0,0") {
    samples = testing::random_instruction_samples(n, 1, max_len, 90, 21);
    testing::write_instruction_triple(dir / "i", samples);
    ds = std::make_shared<const InstructionDataset>(dir / "i");
    split = std::make_shared<const InstructionSplit>(
        ds, split_documents(ds->num_samples(), split_arg)[0], 5, 0);
  }
  InstructionBatches batches(int64_t T, int64_t B, bool pack, bool variable, int64_t rank = 0,
                             int64_t ranks = 1) const {
    InstructionBatchOptions o;
    o.seq_length = T, o.micro_batch_size = B, o.pack = pack, o.variable_seq_lengths = variable;
    o.pad_id = kPad, o.dp_rank = rank, o.dp_size = ranks;
    return InstructionBatches(split, o);
  }
};

// Checks row b of a batch against the samples it should hold, in order.
void expect_row(const Batch& batch, int64_t b, const std::vector<const InstructionSample*>& row,
                int64_t Tmax, bool packed) {
  const int64_t T = batch.T;
  int64_t t = 0;
  int32_t segment = 0;  // one per sample with input tokens (a 1-token sample has none)
  for (const InstructionSample* s : row) {
    const int64_t m = std::min<int64_t>(static_cast<int64_t>(s->ids.size()) - 1, Tmax);
    for (int64_t i = 0; i < m; ++i, ++t) {
      const size_t q = static_cast<size_t>(b * T + t);
      ASSERT_EQ(batch.tokens[q], s->ids[i]) << "row " << b << " token " << t;
      ASSERT_EQ(batch.targets[q], s->labels[i + 1]) << "row " << b << " token " << t;
      if (packed) {
        ASSERT_EQ(batch.positions[q], i);
      }
      ASSERT_EQ(batch.segments[q], segment);
    }
    segment += m > 0;
  }
  for (int64_t k = 0; t < T; ++t, ++k) {  // padding: its own segment
    const size_t q = static_cast<size_t>(b * T + t);
    ASSERT_EQ(batch.tokens[q], kPad);
    ASSERT_EQ(batch.targets[q], -100);
    ASSERT_EQ(batch.segments[q], segment);
    if (packed) {
      ASSERT_EQ(batch.positions[q], k);
    }
  }
}

TEST(InstructionBatches, PlainRowsShiftTruncateAndPad) {
  TestDir dir;
  const Fixture f(dir, 30, 50);
  const int64_t T = 40, B = 3;
  InstructionBatches batches = f.batches(T, B, false, false);
  Batch b;
  for (int64_t step = 0; step < 10; ++step) {
    batches.next(b);
    ASSERT_EQ(b.T, T);
    EXPECT_TRUE(b.positions.empty());
    int64_t real = 0;
    for (int64_t r = 0; r < B; ++r) {
      const auto& s = f.samples[static_cast<size_t>(f.split->sample_at(step * B + r))];
      real += std::min<int64_t>(static_cast<int64_t>(s.ids.size()) - 1, T);
      expect_row(b, r, {&s}, T, false);
    }
    EXPECT_EQ(b.real_tokens, real);
  }
  EXPECT_EQ(batches.consumed(), 30);
}

TEST(InstructionBatches, VariableLengthPadsToAMultipleOf32) {
  TestDir dir;
  const Fixture f(dir, 40, 90);
  const int64_t T = 80, B = 2;
  InstructionBatches batches = f.batches(T, B, false, true);
  Batch b;
  for (int64_t step = 0; step < 20; ++step) {
    batches.next(b);
    int64_t longest = 0;
    for (int64_t r = 0; r < B; ++r) {
      const auto& s = f.samples[static_cast<size_t>(f.split->sample_at(step * B + r))];
      longest =
          std::max<int64_t>(longest, std::min<int64_t>(static_cast<int64_t>(s.ids.size()) - 1, T));
      expect_row(b, r, {&s}, T, false);
    }
    EXPECT_EQ(b.T, std::min<int64_t>(T, std::max<int64_t>(32, (longest + 31) / 32 * 32)));
  }
}

TEST(InstructionBatches, PackedRowsRestartPositionsPerSample) {
  TestDir dir;
  const Fixture f(dir, 60, 30);
  const int64_t T = 64, B = 2;
  InstructionBatches batches = f.batches(T, B, true, false);
  PackedRows rows(f.split, T);
  Batch b;
  for (int64_t step = 0; step < 15; ++step) {
    batches.next(b);
    ASSERT_EQ(b.T, T);
    for (int64_t r = 0; r < B; ++r) {
      std::vector<const InstructionSample*> row;
      for (int64_t s : rows.row(step * B + r)) row.push_back(&f.samples[static_cast<size_t>(s)]);
      expect_row(b, r, row, T, true);
    }
  }
}

// Over one epoch, every layout sees the same input tokens and the same loss tokens: the answer
// tokens of every sample, each once. Packing needs the fewest tokens.
TEST(InstructionBatches, EveryLayoutHasTheSameLossTokensPerEpoch) {
  TestDir dir;
  const Fixture f(dir, 64, 60);
  const int64_t T = 64, B = 4;
  int64_t answer_tokens = 0, input_tokens = 0;
  for (const auto& s : f.samples) {
    input_tokens += std::max<int64_t>(0, static_cast<int64_t>(s.ids.size()) - 1);
    for (size_t t = 1; t < s.labels.size(); ++t) answer_tokens += s.labels[t] != -100;
  }
  std::map<std::string, EpochTokens> epochs;
  for (int layout = 0; layout < 3; ++layout) {
    const bool pack = layout == 2, variable = layout == 1;
    InstructionBatches batches = f.batches(T, B, pack, variable);
    const EpochTokens e = batches.epoch_tokens(0);
    int64_t loss = 0, real = 0, tokens = 0;
    Batch b;
    for (int64_t first = 0; first < e.rows; first += B) {
      batches.rows(first, b);
      for (int64_t r = 0; r < B; ++r) {
        if (first + r >= e.rows) {  // the next epoch's rows pad the last micro-batch
          for (int64_t t = 0; t < b.T; ++t) b.targets[static_cast<size_t>(r * b.T + t)] = -100;
          continue;
        }
        for (int64_t t = 0; t < b.T; ++t) {
          real += b.tokens[static_cast<size_t>(r * b.T + t)] != kPad;
        }
        tokens += b.T;
      }
      loss += b.loss_tokens();
    }
    EXPECT_EQ(loss, answer_tokens) << "layout " << layout;
    EXPECT_EQ(e.real_tokens, input_tokens) << "layout " << layout;
    EXPECT_EQ(e.tokens, tokens) << "layout " << layout;
    EXPECT_EQ(real, input_tokens);  // token 0 (the pad) never occurs in the data
    epochs[std::to_string(layout)] = e;
  }
  EXPECT_EQ(epochs["0"].tokens, 64 * T);
  EXPECT_LT(epochs["1"].tokens, epochs["0"].tokens);
  EXPECT_LT(epochs["2"].tokens, epochs["1"].tokens);
  EXPECT_LT(epochs["2"].rows, 64);
}

TEST(InstructionBatches, DataParallelRanksSplitTheRows) {
  TestDir dir;
  const Fixture f(dir, 50, 40);
  for (bool pack : {false, true}) {
    InstructionBatches one = f.batches(48, 2, pack, true);
    InstructionBatches r0 = f.batches(48, 2, pack, true, 0, 2),
                       r1 = f.batches(48, 2, pack, true, 1, 2);
    Batch a, b, c, d;
    for (int step = 0; step < 6; ++step) {
      one.next(a);
      one.next(b);
      r0.next(c);
      r1.next(d);
      EXPECT_EQ(a.tokens, c.tokens);
      EXPECT_EQ(b.tokens, d.tokens);
      EXPECT_EQ(b.targets, d.targets);
      EXPECT_EQ(b.segments, d.segments);
    }
    EXPECT_EQ(one.consumed(), r1.consumed());
  }
}

TEST(InstructionBatches, ResumeFromTheCursor) {
  TestDir dir;
  const Fixture f(dir, 50, 40);
  for (bool pack : {false, true}) {
    InstructionBatches run = f.batches(48, 3, pack, false), resumed = f.batches(48, 3, pack, false);
    Batch a, b;
    for (int step = 0; step < 7; ++step) run.next(a);
    resumed.set_consumed(run.consumed());
    for (int step = 0; step < 30; ++step) {  // across epoch ends
      run.next(a);
      resumed.next(b);
      ASSERT_EQ(a.tokens, b.tokens) << step;
      ASSERT_EQ(a.targets, b.targets) << step;
      ASSERT_EQ(a.positions, b.positions) << step;
    }
  }
}

}  // namespace
}  // namespace ascent::data
