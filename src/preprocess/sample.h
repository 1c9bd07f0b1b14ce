#pragma once
// What a handler makes of one input record, before it is written.
#include <cstdint>
#include <vector>

namespace ascent::preprocess {

// Labels of prompt positions: the loss ignores them (PyTorch's ignore_index).
inline constexpr int32_t kIgnoreLabel = -100;

// One instruction sequence: token ids and, position by position, the label (the id itself on
// response tokens, kIgnoreLabel on the prompt). The writer adds attention_mask = 1 per token.
struct InstructionSample {
  std::vector<int32_t> input_ids;
  std::vector<int32_t> labels;  // same length as input_ids
};

enum class OutputKind {
  kPretrain,     // one dataset per key: {prefix}_{key}_document
  kInstruction,  // {prefix}_packed_{input_ids,attention_mask,labels}_document
};

struct HandledRecord {
  // kPretrain: docs[k] = the sequences of key k's document; a key without sequences gets no
  // document (Megatron skips empty texts per key).
  std::vector<std::vector<std::vector<int32_t>>> docs;
  // kInstruction: the sequences of one document (one per record; MOSSInstructionHandler: one
  // per conversation turn).
  std::vector<InstructionSample> samples;

  void clear() {
    docs.clear();
    samples.clear();
  }
  bool empty() const {
    for (const auto& d : docs)
      if (!d.empty()) return false;
    return samples.empty();
  }
};

}  // namespace ascent::preprocess
