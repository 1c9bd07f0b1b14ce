#include "data/loader.h"

#include <algorithm>

#include "core/error.h"

namespace ascent::data {

DataLoader::DataLoader(std::shared_ptr<const SampleSource> source, int64_t dp_rank, int64_t dp_size)
    : source_(std::move(source)), dp_rank_(dp_rank), dp_size_(dp_size) {
  ASCENT_CHECK(source_ != nullptr) << "DataLoader without a source";
  ASCENT_CHECK(source_->sample_length() >= 2) << "sample length " << source_->sample_length();
  ASCENT_CHECK(dp_size_ >= 1 && dp_rank_ >= 0 && dp_rank_ < dp_size_)
      << "dp rank " << dp_rank_ << " of " << dp_size_;
  row_.resize(static_cast<size_t>(source_->sample_length()));
}

void DataLoader::next_batch(int64_t micro_batch_size, std::vector<int32_t>& tokens,
                            std::vector<int32_t>& targets) {
  ASCENT_CHECK(micro_batch_size >= 1) << "micro batch size " << micro_batch_size;
  const int64_t B = micro_batch_size, T = seq_length();
  tokens.resize(static_cast<size_t>(B * T));
  targets.resize(static_cast<size_t>(B * T));
  const int64_t first = consumed_ + dp_rank_ * B;
  for (int64_t b = 0; b < B; ++b) {
    source_->sample(first + b, row_.data());
    std::copy(row_.begin(), row_.end() - 1, tokens.begin() + b * T);
    std::copy(row_.begin() + 1, row_.end(), targets.begin() + b * T);
  }
  consumed_ += dp_size_ * B;
}

void DataLoader::set_consumed(int64_t c) {
  ASCENT_CHECK(c >= 0) << "consumed samples " << c;
  consumed_ = c;
}

}  // namespace ascent::data
