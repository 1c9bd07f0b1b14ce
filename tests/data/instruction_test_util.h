#pragma once
// Instruction triples for tests: {prefix}_packed_{input_ids,attention_mask,labels}_document
// written with IndexedDatasetBuilder, one document per sample, as preprocess writes them.
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"
#include "data/indexed_dataset.h"
#include "data/instruction_dataset.h"

namespace ascent::data::testing {

struct InstructionSample {
  std::vector<int32_t> ids;     // prompt + response tokens
  std::vector<int32_t> labels;  // ids with the prompt set to -100
};

inline void write_instruction_triple(const std::string& prefix,
                                     const std::vector<InstructionSample>& samples) {
  IndexedDatasetBuilder ids(instruction_file_prefix(prefix, "input_ids"), TokenType::I32);
  IndexedDatasetBuilder mask(instruction_file_prefix(prefix, "attention_mask"), TokenType::I32);
  IndexedDatasetBuilder labels(instruction_file_prefix(prefix, "labels"), TokenType::I32);
  for (const InstructionSample& s : samples) {
    ids.add_sequence(s.ids);
    mask.add_sequence(std::vector<int32_t>(s.ids.size(), 1));
    labels.add_sequence(s.labels);
    ids.end_document();
    mask.end_document();
    labels.end_document();
  }
  ids.finalize();
  mask.finalize();
  labels.finalize();
}

// n samples of min_len..max_len random tokens in [3, vocab), the first 30-60% a masked prompt.
inline std::vector<InstructionSample> random_instruction_samples(int64_t n, int64_t min_len,
                                                                 int64_t max_len, int64_t vocab,
                                                                 uint64_t seed) {
  Rng r(seed, 17);
  uint64_t k = 0;
  std::vector<InstructionSample> out;
  for (int64_t i = 0; i < n; ++i) {
    const auto len =
        min_len + static_cast<int64_t>(r.uniform(k++) * static_cast<float>(max_len - min_len + 1));
    const auto prompt =
        static_cast<int64_t>((0.3f + 0.3f * r.uniform(k++)) * static_cast<float>(len));
    InstructionSample s;
    for (int64_t t = 0; t < len; ++t) {
      const auto id = 3 + static_cast<int32_t>(r.uniform(k++) * static_cast<float>(vocab - 3));
      s.ids.push_back(id);
      s.labels.push_back(t < prompt ? -100 : id);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ascent::data::testing
