#pragma once
// Packing instruction samples into rows of --seq-length tokens (--pack).
//
// A sample of n tokens puts min(n - 1, T) input tokens into a row (inputs ids[0, n-1), targets
// labels[1, n)). Epoch e packs the split's samples by first fit decreasing: longest first (ties in
// the epoch's shuffled order), each sample goes into the first row opened so far that still has
// room, else into a new row. The rows are then visited in an order shuffled per epoch. (GSM8K in
// rows of 512 tokens: 4091 rows by first fit in arrival order, 4037 in decreasing order, 3803 if
// the tokens alone counted; most samples are longer than half a row. The samples of a row never
// see each other, so which samples share a row does not matter, only which share a batch, and
// the row shuffle keeps that random.) Row r of the endless sequence of
// epochs is a pure function of the data, the split, the seed and T, so a resumed run (the cursor
// counts rows) sees exactly the rows an uninterrupted run sees.
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "data/epoch_cache.h"
#include "data/instruction_dataset.h"

namespace ascent::data {

// First-fit bin packing: items of lengths[k] (0 <= lengths[k] <= capacity) placed in order into
// the first bin with room. Returns the bins in the order opened, each listing its item positions
// k in placement order. O(n log n).
std::vector<std::vector<int64_t>> first_fit(std::span<const int64_t> lengths, int64_t capacity);

// Input tokens a sample of `length` tokens contributes to a row of capacity T.
inline int64_t row_tokens(int64_t length, int64_t T) {
  return length <= 1 ? 0 : (length - 1 < T ? length - 1 : T);
}

class PackedRows {
 public:
  // seq_length: the row capacity T (>= 1).
  PackedRows(std::shared_ptr<const InstructionSplit> split, int64_t seq_length);

  const InstructionSplit& split() const { return *split_; }
  int64_t seq_length() const { return T_; }
  // The sample ids of row r >= 0 (in placement order).
  std::vector<int64_t> row(int64_t r) const;
  // Rows in epoch e, and the position of its first row in the endless sequence.
  int64_t rows_in_epoch(int64_t e) const;
  int64_t first_row_of_epoch(int64_t e) const;

 private:
  struct Epoch {
    std::vector<int64_t> samples;  // sample ids, rows back to back
    std::vector<int64_t> starts;   // [rows + 1] where each row begins in `samples`
  };
  std::shared_ptr<const Epoch> pack_epoch(int64_t e) const;
  // Epoch e (built or cached); requires mu_ held.
  std::shared_ptr<const Epoch> epoch_locked(int64_t e) const;
  // Extends first_row_ until it covers epoch e; requires mu_ held.
  void count_epochs_locked(int64_t e) const;

  std::shared_ptr<const InstructionSplit> split_;
  int64_t T_;

  mutable std::mutex mu_;                      // guards everything below
  mutable std::vector<int64_t> first_row_{0};  // first_row_[e] = rows of epochs before e
  mutable EpochCache<Epoch> cache_;
};

}  // namespace ascent::data
