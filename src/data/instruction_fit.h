#pragma once
// How instruction samples fit rows of T = --seq-length input tokens. A sample of n tokens gives
// min(n - 1, T) inputs with the labels at positions [1, min(n, T + 1)); a longer one loses its
// tail, usually the end of the answer, and can lose all of it. AscendSpeed cuts silently; here the
// cut and emptied samples are counted, --long-samples chooses what happens to them, and a split
// whose samples keep no label at all (nothing to learn: loss 0, ppl 1) is an error.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/instruction_dataset.h"

namespace ascent::data {

// --long-samples: what happens to an instruction sample longer than --seq-length + 1 tokens.
enum class LongSamples {
  kTruncate,  // cut to the row (AscendSpeed); counted and reported
  kDrop,      // left out of its split
  kError,     // refused: an error naming how many and the longest
};
// "truncate" / "drop" / "error"; throws "[train] --long-samples ..." otherwise.
LongSamples parse_long_samples(const std::string& name);

struct SampleFit {
  int64_t samples = 0;                 // samples looked at
  int64_t cut = 0;                     // longer than T + 1 tokens: their tail is not trained on
  int64_t lose_labels = 0;             // cut samples whose tail held labels (part of the answer)
  int64_t emptied = 0;                 // cut samples left with no label (the whole answer is cut)
  int64_t without_labels = 0;          // samples with no label inside the row (emptied included)
  int64_t fitting_without_labels = 0;  // of those, the samples that are not cut
  int64_t longest = 0;                 // tokens of the longest sample
  std::vector<int64_t> fitting;        // the samples that are not cut, in the given order
};

// Looks at every sample of `samples` for rows of T input tokens (reads the labels of each sample
// up to its first label inside the row, and the tail of a cut sample).
SampleFit fit_samples(const InstructionDataset& data, std::span<const int64_t> samples, int64_t T);

// "3412 of 7473 samples are longer than --seq-length 256 + 1 tokens: 3400 lose part of their
// answer, 12 all of it" (empty when none is cut).
std::string describe_cut(const SampleFit& fit, int64_t T);

}  // namespace ascent::data
