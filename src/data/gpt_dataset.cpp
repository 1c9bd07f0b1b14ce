#include "data/gpt_dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/parse_number.h"
#include "core/rng.h"
#include "data/token_check.h"

namespace ascent::data {

namespace {

enum class Shuffle : uint64_t { Documents = 0, Samples = 1 };

uint64_t shuffle_key(uint64_t seed, int split, int64_t epoch, Shuffle what) {
  uint64_t k = splitmix64(seed);
  k = splitmix64(k ^ static_cast<uint64_t>(split));
  k = splitmix64(k ^ static_cast<uint64_t>(epoch));
  return splitmix64(k ^ static_cast<uint64_t>(what));
}

template <typename T>
void shuffle(std::vector<T>& v, uint64_t key) {
  for (size_t i = v.size(); i > 1; --i) {
    const uint64_t j = philox_uniform_below(key, i - 1, i);
    std::swap(v[i - 1], v[j]);
  }
}

double parse_weight(const std::string& text, const std::string& split) {
  const std::optional<double> parsed = parse_whole_double(text);
  if (!parsed) throw error("[gpt_dataset] --split '", split, "': '", text, "' is not a number");
  const double w = *parsed;
  if (!std::isfinite(w) || w < 0)
    throw error("[gpt_dataset] --split '", split, "': weight ", text, " must be finite and >= 0");
  return w;
}

}  // namespace

std::string split_name(int split) {
  switch (split) {
    case 0:
      return "train";
    case 1:
      return "valid";
    case 2:
      return "test";
  }
  return "split " + std::to_string(split);
}

std::array<std::vector<int64_t>, 3> split_documents(int64_t num_documents,
                                                    const std::string& split) {
  if (num_documents < 0)
    throw error("[gpt_dataset] --split '", split, "': negative document count ", num_documents);
  const char sep = split.find(',') != std::string::npos ? ',' : '/';
  std::vector<double> weights;
  size_t start = 0;
  while (true) {
    const size_t end = split.find(sep, start);
    weights.push_back(parse_weight(split.substr(start, end - start), split));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (weights.size() > 3)
    throw error("[gpt_dataset] --split '", split, "': ", weights.size(),
                " weights, expected at most 3 (train, valid, test)");
  weights.resize(3, 0.0);
  const double sum = weights[0] + weights[1] + weights[2];
  if (!(sum > 0)) throw error("[gpt_dataset] --split '", split, "': weights sum to 0");

  std::array<int64_t, 4> bound{0, 0, 0, 0};
  for (int k = 0; k < 3; ++k)
    bound[k + 1] =
        bound[k] +
        static_cast<int64_t>(std::nearbyint(weights[k] / sum * static_cast<double>(num_documents)));
  const int64_t diff = bound[3] - num_documents;
  for (int k = 1; k < 4; ++k) bound[k] = std::clamp(bound[k] - diff, bound[k - 1], num_documents);

  std::array<std::vector<int64_t>, 3> out;
  for (int k = 0; k < 3; ++k) {
    out[k].resize(static_cast<size_t>(bound[k + 1] - bound[k]));
    std::iota(out[k].begin(), out[k].end(), bound[k]);
  }
  return out;
}

// One epoch: documents in stream order, where each starts in the stream, and the window order.
struct GptDataset::Epoch {
  std::vector<int64_t> documents;  // [D] document ids in stream order
  std::vector<int64_t> starts;     // [D+1] stream position of each document; starts[D] = tokens
  std::vector<int64_t> windows;    // [S] window visited at each position of the epoch
};

GptDataset::GptDataset(std::shared_ptr<const IndexedDataset> data,
                       std::span<const int64_t> documents, int64_t seq_length, uint64_t seed,
                       int split, int64_t vocab_size)
    : data_(std::move(data)),
      documents_(documents.begin(), documents.end()),
      seq_length_(seq_length),
      seed_(seed),
      split_(split),
      vocab_size_(vocab_size) {
  ASCENT_CHECK(data_ != nullptr) << "GptDataset without data";
  const std::string name = "[gpt_dataset] " + data_->prefix() + ": ";
  if (seq_length_ < 1) throw error(name, "--seq-length ", seq_length_, " must be >= 1");
  const TokenType t = data_->token_type();
  if (t == TokenType::F32 || t == TokenType::F64)
    throw error(name, "float token type (dtype code ", int(t), ") cannot hold token ids");
  const auto& di = data_->doc_idx();
  for (int64_t d : documents_) {
    if (d < 0 || d >= data_->num_documents())
      throw error(name, "split ", split_name(split_), ": document id ", d, " out of range [0, ",
                  data_->num_documents(), ")");
    tokens_per_epoch_ += data_->sequence_offset(di[static_cast<size_t>(d) + 1]) -
                         data_->sequence_offset(di[static_cast<size_t>(d)]);
  }
  if (tokens_per_epoch_ < seq_length_ + 1)
    throw error(name, "split ", split_name(split_), " has ", tokens_per_epoch_, " tokens in ",
                documents_.size(), " documents, fewer than --seq-length + 1 = ", seq_length_ + 1);
  samples_per_epoch_ = (tokens_per_epoch_ - 1) / seq_length_;
}

std::shared_ptr<const GptDataset::Epoch> GptDataset::build_epoch(int64_t e) const {
  auto ep = std::make_shared<Epoch>();
  ep->documents = documents_;
  shuffle(ep->documents, shuffle_key(seed_, split_, e, Shuffle::Documents));
  const auto& di = data_->doc_idx();
  ep->starts.resize(ep->documents.size() + 1);
  ep->starts[0] = 0;
  for (size_t p = 0; p < ep->documents.size(); ++p) {
    const auto d = static_cast<size_t>(ep->documents[p]);
    ep->starts[p + 1] =
        ep->starts[p] + data_->sequence_offset(di[d + 1]) - data_->sequence_offset(di[d]);
  }
  ep->windows.resize(static_cast<size_t>(samples_per_epoch_));
  std::iota(ep->windows.begin(), ep->windows.end(), int64_t{0});
  shuffle(ep->windows, shuffle_key(seed_, split_, e, Shuffle::Samples));
  return ep;
}

std::shared_ptr<const GptDataset::Epoch> GptDataset::epoch(int64_t e) const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.get(e, [this](int64_t x) { return build_epoch(x); });
}

GptDataset::Location GptDataset::locate(int64_t i) const {
  ASCENT_CHECK(i >= 0) << "sample " << i;
  const int64_t e = i / samples_per_epoch_;
  const auto ep = epoch(e);
  return {e, ep->windows[static_cast<size_t>(i % samples_per_epoch_)]};
}

std::vector<int64_t> GptDataset::epoch_documents(int64_t e) const {
  ASCENT_CHECK(e >= 0) << "epoch " << e;
  return epoch(e)->documents;
}

void GptDataset::sample(int64_t i, int32_t* out) const {
  ASCENT_CHECK(i >= 0) << "sample " << i;
  const auto ep = epoch(i / samples_per_epoch_);
  int64_t pos = ep->windows[static_cast<size_t>(i % samples_per_epoch_)] * seq_length_;
  int64_t left = seq_length_ + 1;
  // The document holding stream position pos: the last start <= pos.
  auto p = static_cast<size_t>(std::upper_bound(ep->starts.begin(), ep->starts.end(), pos) -
                               ep->starts.begin() - 1);
  const auto& di = data_->doc_idx();
  while (left > 0) {
    ASCENT_CHECK(p < ep->documents.size()) << "window past the end of epoch stream";
    const auto d = static_cast<size_t>(ep->documents[p]);
    const int64_t first = data_->sequence_offset(di[d]);
    const int64_t offset = pos - ep->starts[p];
    const int64_t n = std::min(left, ep->starts[p + 1] - pos);
    data_->read_tokens(first + offset, n, out);
    check_token_range(out, n, vocab_size_, false,
                      TokenSource{"gpt_dataset", data_->prefix() + ".bin", "document",
                                  static_cast<int64_t>(d), offset});
    out += n;
    pos += n;
    left -= n;
    ++p;
  }
}

}  // namespace ascent::data
