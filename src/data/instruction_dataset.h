#pragma once
// Instruction (fine-tuning) data written by `ascent preprocess` with an instruction handler
// (DESIGN.md section 6): three indexed datasets of identical structure,
//   {prefix}_packed_input_ids_document, {prefix}_packed_attention_mask_document,
//   {prefix}_packed_labels_document,
// where a document is one sample and labels are the input ids with the prompt set to -100.
//
// InstructionDataset reads samples; InstructionSplit is one split of them (--split over samples,
// as GptDataset splits documents) visited epoch after epoch, each epoch in its own shuffled order
// keyed by (seed, split, epoch): position i of the endless sequence is a pure function of the
// data, the split and the seed, never of --train-iters or of what was read before.
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "data/epoch_cache.h"
#include "data/indexed_dataset.h"

namespace ascent::data {

// The file prefix of one of the three datasets: "{prefix}_packed_{key}_document".
std::string instruction_file_prefix(const std::string& prefix, const std::string& key);

class InstructionDataset {
 public:
  // prefix: preprocess's --output-prefix. vocab_size > 0: read() checks every id against
  // [0, vocab_size) and every label against it or -100, throwing TokenOutOfRange
  // (data/token_check.h) naming the .bin, the sample and the token. Throws ascent::Error naming
  // the file when one of the three datasets is missing (with a hint at what --data-path should
  // be, data/data_path_hints.h) or invalid, when their structure differs (sequence count, sizes,
  // document index), or when a token type is not an integer type.
  explicit InstructionDataset(const std::string& prefix, int64_t vocab_size = 0);

  const std::string& prefix() const { return prefix_; }
  int64_t num_samples() const { return ids_.num_documents(); }
  // Tokens of sample i (all its sequences).
  int64_t length(int64_t i) const;
  // ids and labels [0, count) = the first `count` tokens of sample i (count <= length(i)).
  // Throws TokenOutOfRange (see the constructor).
  void read(int64_t i, int64_t count, int32_t* ids, int32_t* labels) const;
  // labels[0, count) = the labels of sample i at positions [first, first + count) (unchecked).
  void read_labels(int64_t i, int64_t first, int64_t count, int32_t* labels) const;

 private:
  std::string prefix_;
  int64_t vocab_size_;
  IndexedDataset ids_, labels_;
};

class InstructionSplit {
 public:
  // samples: sample ids of this split (usually one entry of split_documents()); split (0 train,
  // 1 valid, 2 test) keys the shuffles. Throws ascent::Error naming --split when samples is empty
  // or an id is out of range.
  InstructionSplit(std::shared_ptr<const InstructionDataset> data, std::span<const int64_t> samples,
                   uint64_t seed, int split);

  const InstructionDataset& data() const { return *data_; }
  int64_t samples_per_epoch() const { return static_cast<int64_t>(samples_.size()); }
  uint64_t seed() const { return seed_; }
  int split() const { return split_; }
  // The split's sample ids in the order epoch e visits them.
  std::shared_ptr<const std::vector<int64_t>> epoch_order(int64_t e) const;
  // The sample id at position i >= 0 of the endless sequence of epochs.
  int64_t sample_at(int64_t i) const;

 private:
  std::shared_ptr<const InstructionDataset> data_;
  std::vector<int64_t> samples_;
  uint64_t seed_;
  int split_;

  mutable std::mutex mu_;  // guards cache_
  mutable EpochCache<std::vector<int64_t>> cache_;
};

// Fisher-Yates shuffle of v driven by Philox under `key` (portable and exactly uniform).
void philox_shuffle(std::vector<int64_t>& v, uint64_t key);
// The shuffle key of (seed, split, epoch, what): `what` tells independent shuffles apart.
uint64_t epoch_shuffle_key(uint64_t seed, int split, int64_t epoch, uint64_t what);

}  // namespace ascent::data
