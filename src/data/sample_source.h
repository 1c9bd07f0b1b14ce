#pragma once
// The one thing the loader needs from a dataset: fixed-length token samples addressed by index.
#include <cstdint>

namespace ascent::data {

// A source of samples of sample_length() tokens (seq_length + 1: inputs and shifted targets).
// sample(i) is defined for every i >= 0 and depends only on the data, the split and the seed,
// never on which samples were asked for before; implementations are thread-safe.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int64_t sample_length() const = 0;
  // Overwrites out[0, sample_length()) with sample i. Requires i >= 0.
  virtual void sample(int64_t i, int32_t* out) const = 0;
};

}  // namespace ascent::data
