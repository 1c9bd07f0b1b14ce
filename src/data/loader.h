#pragma once
// Micro-batches from a SampleSource, resumable from a cursor.
//
// The cursor `consumed` counts samples taken by all data-parallel ranks together (Megatron's
// consumed_samples) and is part of the training state: a loader restored with set_consumed(c)
// yields exactly the batches an uninterrupted run yields after c samples. Each call takes the
// next dp_size * B samples; rank r keeps samples [consumed + r*B, consumed + (r+1)*B), as
// Megatron's pretraining sampler.
#include <cstdint>
#include <memory>
#include <vector>

#include "data/sample_source.h"

namespace ascent::data {

class DataLoader {
 public:
  // Requires 0 <= dp_rank < dp_size.
  explicit DataLoader(std::shared_ptr<const SampleSource> source, int64_t dp_rank = 0,
                      int64_t dp_size = 1);

  int64_t seq_length() const { return source_->sample_length() - 1; }  // T

  // Overwrites tokens and targets (resized to [B*T], B = micro_batch_size) with the next
  // micro-batch: row b is sample s, tokens = s[0, T), targets = s[1, T+1). Advances consumed()
  // by dp_size * B. Requires B >= 1.
  void next_batch(int64_t micro_batch_size, std::vector<int32_t>& tokens,
                  std::vector<int32_t>& targets);

  int64_t consumed() const { return consumed_; }
  // Requires c >= 0.
  void set_consumed(int64_t c);

 private:
  std::shared_ptr<const SampleSource> source_;
  int64_t dp_rank_;
  int64_t dp_size_;
  int64_t consumed_ = 0;
  std::vector<int32_t> row_;  // [T+1] one sample
};

}  // namespace ascent::data
