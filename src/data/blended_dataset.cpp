#include "data/blended_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/parse_number.h"
#include "data/data_path_hints.h"

namespace ascent::data {

namespace {

double parse_blend_weight(const std::string& text) {
  const std::optional<double> parsed = parse_whole_double(text);
  if (!parsed)
    throw error("[blended_dataset] --data-path: '", text,
                "' is not a weight (expected W1 PREFIX1 W2 PREFIX2 ...)");
  const double w = *parsed;
  if (!std::isfinite(w) || w <= 0)
    throw error("[blended_dataset] --data-path: weight ", text, " must be finite and > 0");
  return w;
}

}  // namespace

std::vector<DataPathEntry> parse_data_path(const std::vector<std::string>& args) {
  if (args.empty()) throw error("[blended_dataset] --data-path: no dataset given");
  std::vector<DataPathEntry> out;
  if (args.size() == 1) {
    out.push_back({1.0, args[0]});
  } else {
    if (args.size() % 2 != 0)
      throw error("[blended_dataset] --data-path: ", args.size(),
                  " values, expected a single PREFIX or pairs W1 PREFIX1 W2 PREFIX2 ...");
    for (size_t k = 0; k < args.size(); k += 2)
      out.push_back({parse_blend_weight(args[k]), args[k + 1]});
  }
  for (const auto& e : out) {
    // A missing index: the error names the datasets that do exist (data_path_hints.h).
    if (!std::filesystem::is_regular_file(e.prefix + ".idx")) check_pretraining_prefix(e.prefix);
    if (!std::filesystem::is_regular_file(e.prefix + ".bin"))
      throw error("[blended_dataset] --data-path: ", e.prefix, ".bin not found");
  }
  return out;
}

BlendedDataset::BlendedDataset(std::vector<std::shared_ptr<const GptDataset>> datasets,
                               std::vector<double> weights)
    : datasets_(std::move(datasets)), weights_(std::move(weights)) {
  if (datasets_.empty()) throw error("[blended_dataset] --data-path: no dataset given");
  if (weights_.size() != datasets_.size())
    throw error("[blended_dataset] --data-path: ", weights_.size(), " weights for ",
                datasets_.size(), " datasets");
  double sum = 0;
  for (size_t d = 0; d < datasets_.size(); ++d) {
    ASCENT_CHECK(datasets_[d] != nullptr) << "dataset " << d << " is null";
    if (!std::isfinite(weights_[d]) || weights_[d] <= 0)
      throw error("[blended_dataset] --data-path: weight ", weights_[d], " of ",
                  datasets_[d]->data().prefix(), " must be finite and > 0");
    if (datasets_[d]->sample_length() != datasets_[0]->sample_length())
      throw error("[blended_dataset] ", datasets_[d]->data().prefix(), ": sample length ",
                  datasets_[d]->sample_length(), " differs from ", datasets_[0]->data().prefix(),
                  "'s ", datasets_[0]->sample_length());
    sum += weights_[d];
  }
  for (double& w : weights_) w /= sum;
  checkpoints_.assign(datasets_.size(), 0);
}

void BlendedDataset::run_block(int64_t b, std::vector<int64_t>& taken, int32_t* chosen) const {
  const size_t n = weights_.size();
  for (int64_t k = 0; k < kBlock; ++k) {
    const double at = std::max(static_cast<double>(b * kBlock + k), 1.0);
    size_t best = 0;
    double best_error = weights_[0] * at - static_cast<double>(taken[0]);
    for (size_t d = 1; d < n; ++d) {
      const double err = weights_[d] * at - static_cast<double>(taken[d]);
      if (err > best_error) {
        best_error = err;
        best = d;
      }
    }
    if (chosen) chosen[k] = static_cast<int32_t>(best);
    ++taken[best];
  }
}

BlendedDataset::Location BlendedDataset::locate(int64_t i) const {
  ASCENT_CHECK(i >= 0) << "sample " << i;
  const int64_t b = i / kBlock;
  const size_t n = weights_.size();
  std::lock_guard<std::mutex> lock(mu_);
  if (b != cached_block_) {
    // Extend the checkpoints up to block b, then decode block b.
    std::vector<int64_t> taken;
    for (int64_t have = static_cast<int64_t>(checkpoints_.size() / n) - 1; have < b; ++have) {
      taken.assign(checkpoints_.end() - static_cast<ptrdiff_t>(n), checkpoints_.end());
      run_block(have, taken, nullptr);
      checkpoints_.insert(checkpoints_.end(), taken.begin(), taken.end());
    }
    const auto at = checkpoints_.begin() + static_cast<ptrdiff_t>(b * static_cast<int64_t>(n));
    taken.assign(at, at + static_cast<ptrdiff_t>(n));
    cached_choice_.resize(kBlock);
    cached_index_.resize(kBlock);
    run_block(b, taken, cached_choice_.data());
    // Walk the block again to give each sample its dataset's running count.
    taken.assign(at, at + static_cast<ptrdiff_t>(n));
    for (int64_t k = 0; k < kBlock; ++k)
      cached_index_[k] = taken[static_cast<size_t>(cached_choice_[k])]++;
    cached_block_ = b;
  }
  const auto k = static_cast<size_t>(i - b * kBlock);
  return {cached_choice_[k], cached_index_[k]};
}

void BlendedDataset::sample(int64_t i, int32_t* out) const {
  const Location loc = locate(i);
  datasets_[static_cast<size_t>(loc.dataset)]->sample(loc.index, out);
}

}  // namespace ascent::data
