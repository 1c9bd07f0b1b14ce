#include "data/instruction_batches.h"

#include <algorithm>

#include "core/error.h"

namespace ascent::data {

namespace {
constexpr int32_t kIgnore = -100;  // kernels::kIgnoreIndex
}  // namespace

InstructionBatches::InstructionBatches(std::shared_ptr<const InstructionSplit> split,
                                       const InstructionBatchOptions& options)
    : split_(std::move(split)), o_(options) {
  ASCENT_CHECK(split_ != nullptr) << "InstructionBatches without samples";
  ASCENT_CHECK(o_.seq_length >= 1 && o_.micro_batch_size >= 1)
      << "T=" << o_.seq_length << " B=" << o_.micro_batch_size;
  ASCENT_CHECK(o_.dp_size >= 1 && o_.dp_rank >= 0 && o_.dp_rank < o_.dp_size)
      << "dp rank " << o_.dp_rank << " of " << o_.dp_size;
  if (o_.pack) packed_ = std::make_unique<PackedRows>(split_, o_.seq_length);
}

void InstructionBatches::set_consumed(int64_t rows) {
  ASCENT_CHECK(rows >= 0) << "consumed rows " << rows;
  consumed_ = rows;
}

std::vector<int64_t> InstructionBatches::row_samples(int64_t r) const {
  if (packed_) return packed_->row(r);
  return {split_->sample_at(r)};
}

int64_t InstructionBatches::batch_length(int64_t longest) const {
  if (!o_.variable_seq_lengths) return o_.seq_length;
  const int64_t padded =
      std::max<int64_t>(kSeqLengthMultiple, (longest + kSeqLengthMultiple - 1) /
                                                kSeqLengthMultiple * kSeqLengthMultiple);
  return std::min(padded, o_.seq_length);
}

void InstructionBatches::next(Batch& out) {
  rows(consumed_ + o_.dp_rank * o_.micro_batch_size, out);
  consumed_ += o_.dp_size * o_.micro_batch_size;
}

void InstructionBatches::rows(int64_t first, Batch& out) const {
  const InstructionDataset& data = split_->data();
  const int64_t B = o_.micro_batch_size, Tmax = o_.seq_length;
  std::vector<std::vector<int64_t>> samples(static_cast<size_t>(B));
  int64_t longest = 0;
  for (int64_t b = 0; b < B; ++b) {
    samples[b] = row_samples(first + b);
    int64_t used = 0;
    for (int64_t s : samples[b]) used += row_tokens(data.length(s), Tmax);
    longest = std::max(longest, used);
  }
  const int64_t T = batch_length(longest);
  const auto N = static_cast<size_t>(B * T);
  out.B = B;
  out.T = T;
  out.tokens.assign(N, o_.pad_id);
  out.targets.assign(N, kIgnore);
  out.segments.resize(N);
  if (packed_) {
    out.positions.resize(N);
  } else {
    out.positions.clear();  // unpacked rows keep the default 0..T-1
  }
  out.real_tokens = 0;
  std::vector<int32_t> ids(static_cast<size_t>(Tmax + 1)), labels(ids.size());
  for (int64_t b = 0; b < B; ++b) {
    int32_t* tok = out.tokens.data() + b * T;
    int32_t* tgt = out.targets.data() + b * T;
    int32_t* seg = out.segments.data() + b * T;
    int32_t* pos = packed_ ? out.positions.data() + b * T : nullptr;
    int64_t t = 0;
    int32_t segment = 0;
    for (int64_t s : samples[b]) {
      const int64_t m = row_tokens(data.length(s), Tmax);
      if (m == 0) continue;
      data.read(s, m + 1, ids.data(), labels.data());
      for (int64_t k = 0; k < m; ++k, ++t) {
        tok[t] = ids[k];
        tgt[t] = labels[k + 1];
        seg[t] = segment;
        if (pos) pos[t] = static_cast<int32_t>(k);
      }
      ++segment;
    }
    out.real_tokens += t;
    for (int64_t k = 0; t < T; ++t, ++k) {  // padding: a segment of its own
      seg[t] = segment;
      if (pos) pos[t] = static_cast<int32_t>(k);
    }
  }
}

EpochTokens InstructionBatches::epoch_tokens(int64_t e) const {
  ASCENT_CHECK(e >= 0) << "epoch " << e;
  const InstructionDataset& data = split_->data();
  const int64_t T = o_.seq_length, B = o_.micro_batch_size;
  EpochTokens st;
  st.samples = split_->samples_per_epoch();
  const auto order = split_->epoch_order(e);
  for (int64_t s : *order) st.real_tokens += row_tokens(data.length(s), T);
  if (packed_) {
    st.rows = packed_->rows_in_epoch(e);
    const int64_t first = packed_->first_row_of_epoch(e);
    for (int64_t r0 = 0; r0 < st.rows; r0 += B) {
      int64_t longest = 0;
      for (int64_t r = r0; r < std::min(st.rows, r0 + B); ++r) {
        int64_t used = 0;
        for (int64_t s : packed_->row(first + r)) used += row_tokens(data.length(s), T);
        longest = std::max(longest, used);
      }
      st.tokens += std::min(B, st.rows - r0) * batch_length(longest);
    }
    return st;
  }
  st.rows = st.samples;
  for (int64_t r0 = 0; r0 < st.rows; r0 += B) {
    int64_t longest = 0;
    for (int64_t r = r0; r < std::min(st.rows, r0 + B); ++r)
      longest = std::max(longest, row_tokens(data.length((*order)[static_cast<size_t>(r)]), T));
    st.tokens += std::min(B, st.rows - r0) * batch_length(longest);
  }
  return st;
}

}  // namespace ascent::data
