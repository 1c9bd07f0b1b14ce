#pragma once
// Blending several GPT datasets by weight (`--data-path W1 PREFIX1 W2 PREFIX2 ...`).
//
// Megatron's deterministic greedy assignment (helpers.cpp build_blending_indices): sample i goes
// to the dataset d maximising w_d * max(i, 1) - taken_d (the one furthest below its share;
// ties to the lower index), and is that dataset's sample taken_d. The choice at step i depends
// only on steps before it, so sample i never depends on how many samples are requested.
// Instead of a table over all samples, the per-dataset counts are kept every kBlock samples and
// one block is decoded at a time: memory stays O(samples / kBlock), sequential access O(1).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "data/gpt_dataset.h"
#include "data/sample_source.h"

namespace ascent::data {

struct DataPathEntry {
  double weight;  // as given (not normalised)
  std::string prefix;
};

// Parses the --data-path list: a single "PREFIX" (weight 1) or pairs "W1 PREFIX1 W2 PREFIX2 ...".
// Throws ascent::Error naming --data-path for an empty or odd list, a weight that is not a
// finite number > 0, or a prefix whose .bin or .idx file does not exist (a missing .idx with the
// hints of data_path_hints.h: the datasets under that prefix, --is-instruction-dataset).
std::vector<DataPathEntry> parse_data_path(const std::vector<std::string>& args);

class BlendedDataset final : public SampleSource {
 public:
  static constexpr int64_t kBlock = 4096;

  // weights: one per dataset, finite and > 0, normalised here. All datasets must have the same
  // sample_length(). Throws ascent::Error otherwise.
  BlendedDataset(std::vector<std::shared_ptr<const GptDataset>> datasets,
                 std::vector<double> weights);

  int64_t sample_length() const override { return datasets_[0]->sample_length(); }
  int64_t num_datasets() const { return static_cast<int64_t>(datasets_.size()); }
  const std::vector<double>& weights() const { return weights_; }  // normalised

  // Overwrites out[0, sample_length()) with sample i (i >= 0). Thread-safe.
  void sample(int64_t i, int32_t* out) const override;

  // Sample i is sample `index` of dataset `dataset`.
  struct Location {
    int64_t dataset;
    int64_t index;
  };
  Location locate(int64_t i) const;

 private:
  // Runs the greedy assignment for samples [b*kBlock, (b+1)*kBlock) from `taken` (the counts at
  // b*kBlock), writing each choice to `chosen` (may be null) and leaving `taken` at the counts
  // after the block.
  void run_block(int64_t b, std::vector<int64_t>& taken, int32_t* chosen) const;

  std::vector<std::shared_ptr<const GptDataset>> datasets_;
  std::vector<double> weights_;

  mutable std::mutex mu_;                     // guards everything below
  mutable std::vector<int64_t> checkpoints_;  // [blocks+1, num_datasets] counts at b*kBlock
  mutable int64_t cached_block_ = -1;
  mutable std::vector<int32_t> cached_choice_;  // [kBlock] dataset of each sample of the block
  mutable std::vector<int64_t> cached_index_;   // [kBlock] that dataset's sample index
};

}  // namespace ascent::data
