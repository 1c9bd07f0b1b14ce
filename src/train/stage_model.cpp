#include "train/stage_model.h"

#include <algorithm>

#include "core/error.h"

namespace ascent {

TrainStageModel::TrainStageModel(const std::vector<std::unique_ptr<Transformer>>& chunks, int slots,
                                 const std::vector<data::Batch>& batches,
                                 const std::vector<uint64_t>& dropout_seeds,
                                 std::function<void(int)> on_chunk_done, double loss_scale,
                                 StageMode mode)
    : chunks_(chunks),
      slots_(slots),
      batches_(batches),
      seeds_(dropout_seeds),
      scales_(grad_scales(batches, loss_scale)),
      on_chunk_done_(std::move(on_chunk_done)),
      mode_(mode) {
  ASCENT_CHECK(slots_ >= 1 && !chunks_.empty() && seeds_.size() == batches_.size())
      << "stage model: " << slots_ << " slots, " << chunks_.size() << " chunks";
  int64_t samples = 0;
  for (const data::Batch& b : batches_) samples += b.B;
  for (const data::Batch& b : batches_)
    weights_.push_back(static_cast<double>(b.B) / static_cast<double>(samples));
}

std::vector<float> TrainStageModel::grad_scales(const std::vector<data::Batch>& batches,
                                                double loss_scale) {
  int64_t samples = 0;
  for (const data::Batch& b : batches) samples += b.B;
  std::vector<float> s;
  for (const data::Batch& b : batches) {
    const double weight = static_cast<double>(b.B) / static_cast<double>(samples);
    s.push_back(static_cast<float>(loss_scale * weight /
                                   static_cast<double>(std::max<int64_t>(b.loss_tokens(), 1))));
  }
  return s;
}

MicroBatch TrainStageModel::view(int64_t m) const {
  const data::Batch& b = batches_[m];
  return MicroBatch{b.B,
                    b.T,
                    b.tokens.data(),
                    b.targets.data(),
                    b.positions_or_null(),
                    seeds_[m],
                    b.segments_or_null()};
}

int64_t TrainStageModel::boundary_elements(int64_t m) const {
  return chunks_[0]->boundary_elements(batches_[m].B, batches_[m].T);
}

const float* TrainStageModel::forward(int chunk, int64_t m, const float* input) {
  Transformer& t = *chunks_[chunk];
  LossSum l;
  const bool train = mode_ == StageMode::kTrain;
  const Tensor out =
      t.stage_forward(static_cast<int>(m % slots_), view(m), input, train, scales_[m], &l);
  if (t.last_stage()) {
    loss_ += train ? weights_[m] * l.mean() : l.mean();
    loss_tokens_ += l.tokens;
  }
  return out.defined() ? out.f32() : nullptr;
}

const float* TrainStageModel::backward(int chunk, int64_t m, const float* doutput) {
  const Tensor d = chunks_[chunk]->stage_backward(static_cast<int>(m % slots_), doutput);
  return d.defined() ? d.f32() : nullptr;
}

void TrainStageModel::chunk_backward_done(int chunk) {
  if (on_chunk_done_) on_chunk_done_(chunk);
}

}  // namespace ascent
