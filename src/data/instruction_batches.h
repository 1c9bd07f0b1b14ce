#pragma once
// Micro-batches of instruction samples (--is-instruction-dataset).
//
// A sample of n tokens gives m = min(n - 1, T) input tokens ids[0, m) with targets
// labels[1, m + 1) (the label of position t is labels[t + 1]; -100 on the prompt: no loss there).
//   plain (AscendSpeed):      one sample per row, padded to T = --seq-length;
//   variable_seq_lengths:     the same rows padded only to the next multiple of 32 of the
//                             micro-batch's longest row (at most T);
//   pack:                     rows of PackedRows, several samples per row, positions restarting
//                             at 0 and one attention segment per sample.
// Padding uses pad_id with target -100 and is an attention segment of its own, so real tokens
// never see it and it costs only its own small triangle. The cursor counts rows: samples when
// unpacked, packed rows with pack.
#include <cstdint>
#include <memory>
#include <vector>

#include "data/batch.h"
#include "data/instruction_dataset.h"
#include "data/packing.h"

namespace ascent::data {

struct InstructionBatchOptions {
  int64_t seq_length = 0;        // T
  int64_t micro_batch_size = 0;  // B
  bool pack = false;
  bool variable_seq_lengths = false;
  int32_t pad_id = 0;
  int64_t dp_rank = 0, dp_size = 1;
};

// Variable-length rows are padded to a multiple of this.
constexpr int64_t kSeqLengthMultiple = 32;

// Tokens per epoch of one split under a layout (epoch e; micro-batches of B consecutive rows
// counted from the epoch's first row).
struct EpochTokens {
  int64_t samples = 0;      // samples in the epoch
  int64_t rows = 0;         // rows (samples, or packed rows)
  int64_t real_tokens = 0;  // input tokens of the samples (after truncation to T)
  int64_t tokens = 0;       // tokens the model processes, padding included
  double padding() const {
    return tokens ? 1.0 - static_cast<double>(real_tokens) / static_cast<double>(tokens) : 0.0;
  }
};

class InstructionBatches final : public BatchSource {
 public:
  // Requires T >= 1, B >= 1, 0 <= dp_rank < dp_size.
  InstructionBatches(std::shared_ptr<const InstructionSplit> split,
                     const InstructionBatchOptions& options);

  void next(Batch& out) override;
  int64_t consumed() const override { return consumed_; }
  void set_consumed(int64_t rows) override;

  // Overwrites `out` with the rows [first, first + B) of the endless row sequence.
  void rows(int64_t first, Batch& out) const;
  EpochTokens epoch_tokens(int64_t e) const;
  const InstructionBatchOptions& options() const { return o_; }

 private:
  // Sample ids of row r.
  std::vector<int64_t> row_samples(int64_t r) const;
  // The micro-batch length for rows whose longest holds `longest` input tokens.
  int64_t batch_length(int64_t longest) const;

  std::shared_ptr<const InstructionSplit> split_;
  std::unique_ptr<PackedRows> packed_;  // with pack only
  InstructionBatchOptions o_;
  int64_t consumed_ = 0;
};

}  // namespace ascent::data
