#include "data/instruction_dataset.h"

#include <filesystem>

#include "core/error.h"
#include "core/rng.h"
#include "data/data_path_hints.h"
#include "data/gpt_dataset.h"
#include "data/token_check.h"

namespace ascent::data {

namespace {

constexpr uint64_t kShuffleSamples = 0x5a;

bool is_float(TokenType t) { return t == TokenType::F32 || t == TokenType::F64; }

// Opens one of the three datasets, naming what --data-path should have been when it is missing.
IndexedDataset open_part(const std::string& prefix, const std::string& key) {
  const std::string p = instruction_file_prefix(prefix, key);
  if (!std::filesystem::exists(p + ".idx"))
    throw error("[instruction_dataset] ", p, ".idx: not found; ", instruction_prefix_hint(prefix));
  IndexedDataset ds(p);
  if (is_float(ds.token_type()))
    throw error("[instruction_dataset] ", p, ".idx: float token type (dtype code ",
                int(ds.token_type()), ") cannot hold token ids");
  return ds;
}

// Throws unless `other` has the structure of `ids` (sequence sizes and document index).
void check_same_structure(const IndexedDataset& ids, const IndexedDataset& other) {
  const std::string name = "[instruction_dataset] " + other.prefix() + ".idx: ";
  if (other.num_sequences() != ids.num_sequences())
    throw error(name, other.num_sequences(), " sequences, but ", ids.prefix(), " has ",
                ids.num_sequences());
  if (other.doc_idx() != ids.doc_idx())
    throw error(name, "document index differs from ", ids.prefix());
  for (int64_t s = 0; s < ids.num_sequences(); ++s) {
    if (other.sequence_length(s) != ids.sequence_length(s))
      throw error(name, "sequence ", s, " has ", other.sequence_length(s), " tokens, but ",
                  ids.prefix(), " has ", ids.sequence_length(s));
  }
}

}  // namespace

void philox_shuffle(std::vector<int64_t>& v, uint64_t key) {
  for (size_t i = v.size(); i > 1; --i) {
    const uint64_t j = philox_uniform_below(key, i - 1, i);
    std::swap(v[i - 1], v[j]);
  }
}

uint64_t epoch_shuffle_key(uint64_t seed, int split, int64_t epoch, uint64_t what) {
  uint64_t k = splitmix64(seed ^ 0x1d57c0de);
  k = splitmix64(k ^ static_cast<uint64_t>(split));
  k = splitmix64(k ^ static_cast<uint64_t>(epoch));
  return splitmix64(k ^ what);
}

std::string instruction_file_prefix(const std::string& prefix, const std::string& key) {
  return prefix + "_packed_" + key + "_document";
}

InstructionDataset::InstructionDataset(const std::string& prefix, int64_t vocab_size)
    : prefix_(prefix),
      vocab_size_(vocab_size),
      ids_(open_part(prefix, "input_ids")),
      labels_(open_part(prefix, "labels")) {
  // The attention mask (all ones from preprocess) carries nothing the row builder needs; it is
  // only checked to belong to the same samples.
  check_same_structure(ids_, open_part(prefix, "attention_mask"));
  check_same_structure(ids_, labels_);
  const TokenType lt = labels_.token_type();
  if (lt == TokenType::U8 || lt == TokenType::U16)
    throw error("[instruction_dataset] ", labels_.prefix(),
                ".idx: unsigned token type cannot hold the -100 of masked labels");
}

int64_t InstructionDataset::length(int64_t i) const {
  ASCENT_CHECK(i >= 0 && i < num_samples()) << "sample " << i << " of " << num_samples();
  const auto& di = ids_.doc_idx();
  return ids_.sequence_offset(di[static_cast<size_t>(i) + 1]) -
         ids_.sequence_offset(di[static_cast<size_t>(i)]);
}

void InstructionDataset::read(int64_t i, int64_t count, int32_t* ids, int32_t* labels) const {
  ASCENT_CHECK(count >= 0 && count <= length(i)) << count << " tokens of sample " << i;
  const int64_t first = ids_.sequence_offset(ids_.doc_idx()[static_cast<size_t>(i)]);
  ids_.read_tokens(first, count, ids);
  labels_.read_tokens(first, count, labels);
  check_token_range(ids, count, vocab_size_, false,
                    TokenSource{"instruction_dataset", ids_.prefix() + ".bin", "sample", i, 0});
  check_token_range(labels, count, vocab_size_, true,
                    TokenSource{"instruction_dataset", labels_.prefix() + ".bin", "sample", i, 0});
}

void InstructionDataset::read_labels(int64_t i, int64_t first, int64_t count,
                                     int32_t* labels) const {
  ASCENT_CHECK(first >= 0 && count >= 0 && first + count <= length(i))
      << "labels [" << first << ", " << first + count << ") of sample " << i;
  labels_.read_tokens(labels_.sequence_offset(labels_.doc_idx()[static_cast<size_t>(i)]) + first,
                      count, labels);
}

InstructionSplit::InstructionSplit(std::shared_ptr<const InstructionDataset> data,
                                   std::span<const int64_t> samples, uint64_t seed, int split)
    : data_(std::move(data)), samples_(samples.begin(), samples.end()), seed_(seed), split_(split) {
  ASCENT_CHECK(data_ != nullptr) << "InstructionSplit without data";
  const std::string name = "[instruction_dataset] " + data_->prefix() + ": ";
  if (samples_.empty())
    throw error(name, "--split leaves no samples in the ", split_name(split_), " split");
  for (int64_t s : samples_) {
    if (s < 0 || s >= data_->num_samples())
      throw error(name, "split ", split_name(split_), ": sample ", s, " out of range [0, ",
                  data_->num_samples(), ")");
  }
}

std::shared_ptr<const std::vector<int64_t>> InstructionSplit::epoch_order(int64_t e) const {
  ASCENT_CHECK(e >= 0) << "epoch " << e;
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.get(e, [this](int64_t x) {
    auto order = std::make_shared<std::vector<int64_t>>(samples_);
    philox_shuffle(*order, epoch_shuffle_key(seed_, split_, x, kShuffleSamples));
    return std::shared_ptr<const std::vector<int64_t>>(std::move(order));
  });
}

int64_t InstructionSplit::sample_at(int64_t i) const {
  ASCENT_CHECK(i >= 0) << "position " << i;
  const int64_t S = samples_per_epoch();
  return (*epoch_order(i / S))[static_cast<size_t>(i % S)];
}

}  // namespace ascent::data
