#pragma once
// Micro-batches as the model takes them (tokens, targets, and optionally per-token positions and
// attention segments), and the sources the trainer draws them from.
//
// A source is resumable from a cursor, consumed(), that counts the rows taken by all
// data-parallel ranks together (Megatron's consumed_samples): each next() takes the next
// dp_size * B rows, and rank r keeps rows [consumed + r*B, consumed + (r+1)*B).
#include <cstdint>
#include <memory>
#include <vector>

#include "data/loader.h"

namespace ascent::data {

struct Batch {
  int64_t B = 0, T = 0;
  std::vector<int32_t> tokens;     // [B*T]
  std::vector<int32_t> targets;    // [B*T], -100 = no loss
  std::vector<int32_t> positions;  // [B*T], or empty: 0..T-1 in every row
  std::vector<int32_t> segments;   // [B*T] attention segments (non-decreasing per row), or empty
  int64_t real_tokens = 0;         // input tokens that are not padding

  int64_t loss_tokens() const;  // targets != -100
  // Data pointers for the model (nullptr when empty).
  const int32_t* positions_or_null() const {
    return positions.empty() ? nullptr : positions.data();
  }
  const int32_t* segments_or_null() const { return segments.empty() ? nullptr : segments.data(); }
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Overwrites `out` with this rank's next micro-batch and advances consumed().
  virtual void next(Batch& out) = 0;
  // The same with `rows` rows instead of the configured micro-batch size (--manual-mbs). Throws
  // ascent::Error for sources whose rows cannot be counted that way.
  virtual void next_rows(Batch& out, int64_t rows);
  virtual int64_t consumed() const = 0;
  // Requires rows >= 0.
  virtual void set_consumed(int64_t rows) = 0;
};

// Megatron's get_ltor_masks_and_position_ids for pretraining rows that hold several documents
// separated by EOD tokens (the EOD ends its document):
//   reset_position_ids:   positions restart at 0 after each EOD;
//   reset_attention_mask: no attention across an EOD (segment ids count the EODs before a token);
//   eod_mask_loss:        no loss where the input token is EOD.
struct EodMasks {
  int32_t eod = -1;
  bool reset_position_ids = false, reset_attention_mask = false, eod_mask_loss = false;
  bool any() const { return reset_position_ids || reset_attention_mask || eod_mask_loss; }
};
// Fills b.positions / b.segments (or leaves them empty) and masks b.targets, from b.tokens.
// Requires m.eod >= 0 when any flag is set.
void apply_eod_masks(const EodMasks& m, Batch& b);

// Pretraining batches: rows of a DataLoader (fixed-length windows, no padding), then the EOD
// masks.
class LmBatches final : public BatchSource {
 public:
  // Requires micro_batch_size >= 1.
  LmBatches(std::unique_ptr<DataLoader> loader, int64_t micro_batch_size, EodMasks masks);

  void next(Batch& out) override;
  void next_rows(Batch& out, int64_t rows) override;
  int64_t consumed() const override { return loader_->consumed(); }
  void set_consumed(int64_t rows) override { loader_->set_consumed(rows); }

 private:
  std::unique_ptr<DataLoader> loader_;
  int64_t B_;
  EodMasks masks_;
};

}  // namespace ascent::data
