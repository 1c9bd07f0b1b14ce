// First-fit packing against the naive O(items x bins) first fit, and packed rows over epochs:
// every epoch places each sample of the split exactly once, rows fit the row length, and row r
// does not depend on which rows were asked for before (resume).
#include "data/packing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "data/gpt_dataset.h"
#include "data_test_util.h"
#include "instruction_test_util.h"

namespace ascent::data {
namespace {

using testing::TestDir;

std::vector<std::vector<int64_t>> naive_first_fit(const std::vector<int64_t>& lengths,
                                                  int64_t capacity) {
  std::vector<std::vector<int64_t>> bins;
  std::vector<int64_t> room;
  for (size_t k = 0; k < lengths.size(); ++k) {
    size_t b = 0;
    while (b < bins.size() && room[b] < lengths[k]) ++b;
    if (b == bins.size()) bins.emplace_back(), room.push_back(capacity);
    bins[b].push_back(static_cast<int64_t>(k));
    room[b] -= lengths[k];
  }
  return bins;
}

TEST(FirstFit, MatchesNaiveFirstFit) {
  std::mt19937 gen(3);
  for (int64_t capacity : {1, 7, 64, 1000}) {
    for (int n : {0, 1, 5, 100, 1000}) {
      std::uniform_int_distribution<int64_t> len(0, capacity);
      std::vector<int64_t> lengths(static_cast<size_t>(n));
      for (auto& l : lengths) l = len(gen) / (gen() % 3 + 1);  // many short, some long
      EXPECT_EQ(first_fit(lengths, capacity), naive_first_fit(lengths, capacity))
          << "capacity " << capacity << " n " << n;
    }
  }
}

TEST(FirstFit, Example) {
  const std::vector<int64_t> lengths = {6, 5, 3, 2, 4, 1};
  // 6 -> bin 0 (room 4); 5 -> bin 1 (5); 3 -> bin 0 (1); 2 -> bin 1 (3); 4 -> bin 2; 1 -> bin 0.
  const std::vector<std::vector<int64_t>> want = {{0, 2, 5}, {1, 3}, {4}};
  EXPECT_EQ(first_fit(lengths, 10), want);
}

struct Packed {
  std::shared_ptr<const InstructionDataset> ds;
  std::shared_ptr<const InstructionSplit> split;
};

Packed make(const TestDir& dir, int64_t n, int64_t max_len) {
  testing::write_instruction_triple(dir / "p",
                                    testing::random_instruction_samples(n, 1, max_len, 50, 9));
  Packed p;
  p.ds = std::make_shared<const InstructionDataset>(dir / "p");
  const auto splits = split_documents(p.ds->num_samples(), "90,10,0");
  p.split = std::make_shared<const InstructionSplit>(p.ds, splits[0], 42, 0);
  return p;
}

TEST(PackedRows, EveryEpochHoldsEachSampleOnceAndRowsFit) {
  TestDir dir;
  const Packed p = make(dir, 200, 80);
  const int64_t T = 64;  // some samples (up to 79 input tokens) are truncated to a full row
  PackedRows rows(p.split, T);
  int64_t r = 0;
  for (int64_t e = 0; e < 3; ++e) {
    ASSERT_EQ(rows.first_row_of_epoch(e), r);
    std::map<int64_t, int> seen;
    int64_t tokens = 0;
    for (int64_t k = 0; k < rows.rows_in_epoch(e); ++k, ++r) {
      int64_t used = 0;
      for (int64_t s : rows.row(r)) {
        ++seen[s];
        used += row_tokens(p.ds->length(s), T);
      }
      EXPECT_LE(used, T) << "row " << r;
      tokens += used;
    }
    ASSERT_EQ(seen.size(), static_cast<size_t>(p.split->samples_per_epoch())) << "epoch " << e;
    for (const auto& [s, count] : seen) EXPECT_EQ(count, 1) << "sample " << s;
    // First fit leaves at most one row at most half full.
    EXPECT_LT(rows.rows_in_epoch(e), 2 * tokens / T + 2);
  }
}

TEST(PackedRows, RowsDoNotDependOnAccessOrder) {
  TestDir dir;
  const Packed p = make(dir, 120, 40);
  PackedRows forward(p.split, 48), jump(p.split, 48);
  std::vector<std::vector<int64_t>> seq;
  for (int64_t r = 0; r < 200; ++r) seq.push_back(forward.row(r));
  for (int64_t r : {150, 3, 199, 60, 0, 120})
    EXPECT_EQ(jump.row(r), seq[static_cast<size_t>(r)]) << "row " << r;
  // The order within an epoch follows the epoch's shuffle: epochs pack differently.
  EXPECT_NE(forward.row(0), forward.row(forward.first_row_of_epoch(1)));
}

// Rows are the bins of first fit over the epoch's samples sorted longest first (ties in epoch
// order), visited in a shuffled order.
TEST(PackedRows, PacksByFirstFitDecreasingInShuffledRowOrder) {
  TestDir dir;
  const Packed p = make(dir, 60, 30);
  const int64_t T = 32;
  PackedRows rows(p.split, T);
  bool shuffled = false;
  for (int64_t e = 0; e < 3; ++e) {
    const auto order = p.split->epoch_order(e);
    std::vector<std::pair<int64_t, int64_t>> items;  // (tokens, sample)
    for (int64_t s : *order) items.emplace_back(row_tokens(p.ds->length(s), T), s);
    std::stable_sort(items.begin(), items.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<int64_t> lengths;
    for (const auto& it : items) lengths.push_back(it.first);
    std::vector<std::vector<int64_t>> want;
    for (const auto& bin : naive_first_fit(lengths, T)) {
      want.emplace_back();
      for (int64_t k : bin) want.back().push_back(items[static_cast<size_t>(k)].second);
    }
    ASSERT_EQ(rows.rows_in_epoch(e), static_cast<int64_t>(want.size()));
    std::vector<std::vector<int64_t>> got;
    for (int64_t r = 0; r < rows.rows_in_epoch(e); ++r)
      got.push_back(rows.row(rows.first_row_of_epoch(e) + r));
    shuffled = shuffled || got != want;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << "epoch " << e;
  }
  EXPECT_TRUE(shuffled);
}

}  // namespace
}  // namespace ascent::data
