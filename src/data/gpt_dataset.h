#pragma once
// Megatron-style GPT pretraining samples over one IndexedDataset.
//
// A split is a list of document ids (a document is the concatenation of its sequences
// [doc_idx[d], doc_idx[d+1])). Epoch e orders the split's documents by a shuffle keyed by
// (seed, split, e) and concatenates them into one token stream; window k of the epoch covers
// tokens [k*T, k*T + T + 1) of that stream (consecutive windows overlap by one token, as in
// Megatron), for k < samples_per_epoch() = (tokens_per_epoch - 1) / T. The epoch's windows are
// visited in a second shuffled order keyed by (seed, split, e). Sample i is window
// perm_e[i % S] of epoch e = i / S: a pure function of the data, the documents, T and the seed,
// so any sample can be asked for first (resume, evaluation) and epochs never end.
//
// Differences from Megatron's GPTDataset (see DESIGN.md section 6):
// - samples never straddle epochs and each epoch drops its last (tokens - 1) % T tokens, so an
//   epoch is self-contained and can be built lazily;
// - the sample shuffle is within an epoch (Megatron shuffles across all requested epochs, which
//   makes the order depend on how many samples are requested);
// - shuffles use Philox-keyed Fisher-Yates, not numpy's RandomState, so orders differ from
//   Megatron's for the same seed.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "data/epoch_cache.h"
#include "data/indexed_dataset.h"
#include "data/sample_source.h"

namespace ascent::data {

// "train", "valid", "test" for split 0, 1, 2.
std::string split_name(int split);

// Megatron's get_train_valid_test_split_ at document level: `split` is "969,30,1" (or "969/30/1",
// or fewer than three weights, the rest 0); weights are normalised, each split gets
// round(weight * num_documents) documents (round half to even, as Python), and all boundaries are
// shifted so the last one is num_documents. Returns the document ids of train, valid, test.
// Deviation: boundaries are clamped into [0, num_documents] and made non-decreasing, where
// Megatron could produce a negative boundary for tiny document counts.
// Throws ascent::Error naming --split for non-numbers, negative or non-finite weights, more
// than three weights or a zero sum.
std::array<std::vector<int64_t>, 3> split_documents(int64_t num_documents,
                                                    const std::string& split);

class GptDataset final : public SampleSource {
 public:
  // documents: ids in [0, data->num_documents()) (usually one entry of split_documents()).
  // split: 0 train, 1 valid, 2 test; keys the shuffles and names the split in errors.
  // vocab_size > 0: every token a sample reads (inputs and targets) must lie in [0, vocab_size),
  // else sample() throws TokenOutOfRange (data/token_check.h) naming the .bin, the document and
  // the token. Throws ascent::Error if the documents hold fewer than seq_length + 1 tokens, if an
  // id is out of range or if the token type is a float type.
  GptDataset(std::shared_ptr<const IndexedDataset> data, std::span<const int64_t> documents,
             int64_t seq_length, uint64_t seed, int split = 0, int64_t vocab_size = 0);

  int64_t sample_length() const override { return seq_length_ + 1; }
  int64_t seq_length() const { return seq_length_; }
  int64_t tokens_per_epoch() const { return tokens_per_epoch_; }
  int64_t samples_per_epoch() const { return samples_per_epoch_; }
  const IndexedDataset& data() const { return *data_; }

  // Overwrites out[0, seq_length + 1) with sample i (i >= 0). Thread-safe. Throws
  // TokenOutOfRange for a token outside the vocabulary (see the constructor).
  void sample(int64_t i, int32_t* out) const override;

  // Where sample i comes from: its epoch and its window k (tokens [k*T, k*T+T+1) of the
  // epoch's stream).
  struct Location {
    int64_t epoch;
    int64_t window;
  };
  Location locate(int64_t i) const;
  // The document ids of epoch e in stream order.
  std::vector<int64_t> epoch_documents(int64_t epoch) const;

 private:
  struct Epoch;
  // Builds epoch e or returns it from a small cache of recently used epochs.
  std::shared_ptr<const Epoch> epoch(int64_t e) const;
  std::shared_ptr<const Epoch> build_epoch(int64_t e) const;

  std::shared_ptr<const IndexedDataset> data_;
  std::vector<int64_t> documents_;
  int64_t seq_length_;
  uint64_t seed_;
  int split_;
  int64_t vocab_size_;  // 0: tokens unchecked
  int64_t tokens_per_epoch_ = 0;
  int64_t samples_per_epoch_ = 0;

  mutable std::mutex mu_;  // guards cache_
  mutable EpochCache<Epoch> cache_;
};

}  // namespace ascent::data
