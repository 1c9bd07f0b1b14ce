#include "data/batch.h"

#include <algorithm>

#include "core/error.h"

namespace ascent::data {

namespace {
constexpr int32_t kIgnore = -100;  // kernels::kIgnoreIndex (data does not depend on kernels)
}  // namespace

int64_t Batch::loss_tokens() const {
  return std::count_if(targets.begin(), targets.end(), [](int32_t t) { return t != kIgnore; });
}

void apply_eod_masks(const EodMasks& m, Batch& b) {
  b.positions.clear();
  b.segments.clear();
  if (!m.any()) return;
  ASCENT_CHECK(m.eod >= 0) << "EOD masks without an EOD id";
  const auto N = static_cast<size_t>(b.B * b.T);
  ASCENT_CHECK(b.tokens.size() == N && b.targets.size() == N) << "batch of " << b.tokens.size();
  if (m.reset_position_ids) b.positions.resize(N);
  if (m.reset_attention_mask) b.segments.resize(N);
  for (int64_t r = 0; r < b.B; ++r) {
    int32_t position = 0, segment = 0;
    for (int64_t t = 0; t < b.T; ++t) {
      const auto i = static_cast<size_t>(r * b.T + t);
      if (m.reset_position_ids) b.positions[i] = position;
      if (m.reset_attention_mask) b.segments[i] = segment;
      ++position;
      if (b.tokens[i] == m.eod) {  // the EOD closes its document; the next token starts anew
        if (m.eod_mask_loss) b.targets[i] = kIgnore;
        position = 0;
        ++segment;
      }
    }
  }
}

LmBatches::LmBatches(std::unique_ptr<DataLoader> loader, int64_t micro_batch_size, EodMasks masks)
    : loader_(std::move(loader)), B_(micro_batch_size), masks_(masks) {
  ASCENT_CHECK(loader_ != nullptr && B_ >= 1) << "micro batch size " << B_;
}

void BatchSource::next_rows(Batch&, int64_t) {
  throw error("[data] per-micro-batch sizes (--manual-mbs) need pretraining data");
}

void LmBatches::next(Batch& out) { next_rows(out, B_); }

void LmBatches::next_rows(Batch& out, int64_t rows) {
  ASCENT_CHECK(rows >= 1) << "micro-batch of " << rows << " rows";
  out.B = rows;
  out.T = loader_->seq_length();
  loader_->next_batch(rows, out.tokens, out.targets);
  out.real_tokens = out.B * out.T;
  apply_eod_masks(masks_, out);
}

}  // namespace ascent::data
