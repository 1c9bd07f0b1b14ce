#include "model/layers/vocab_parallel_cross_entropy.h"

#include <algorithm>

#include "kernels/kernels.h"

namespace ascent::tp {
namespace {

class WholeVocabulary : public CrossEntropy {
 public:
  explicit WholeVocabulary(float z_loss) : z_loss_(z_loss) {}
  void forward(const Tensor& logits, const int32_t* targets, bool train, float grad_scale,
               const Tensor& losses, Arena& scratch) const override {
    if (train) {
      // Loss and dlogits in one pass.
      kernels::cross_entropy_forward_backward(logits, targets, z_loss_, grad_scale, losses);
      return;
    }
    Tensor lse = scratch.alloc(DType::F32, {logits.size(0)});
    kernels::cross_entropy_forward(logits, targets, z_loss_, losses, lse);
  }

 private:
  float z_loss_;
};

// A vocabulary slice (or a padded vocabulary on one rank, where the reductions are no-ops).
class VocabParallel : public CrossEntropy {
 public:
  VocabParallel(const Regions& regions, float z_loss, int64_t vocab_start, int64_t vocab_valid)
      : regions_(regions), z_loss_(z_loss), start_(vocab_start), valid_(vocab_valid) {}
  void forward(const Tensor& logits, const int32_t* targets, bool train, float grad_scale,
               const Tensor& losses, Arena& scratch) const override {
    const int64_t N = logits.size(0);
    Tensor max = scratch.alloc(DType::F32, {N});
    Tensor sums = scratch.alloc(DType::F32, {2 * N});
    kernels::vocab_parallel_ce_max(logits, valid_, max);
    regions_.all_reduce_max(max);
    kernels::vocab_parallel_ce_sums(logits, targets, start_, valid_, max, sums);
    regions_.all_reduce_sum(sums);
    kernels::vocab_parallel_ce_finish(logits, targets, start_, valid_, max, sums, z_loss_,
                                      grad_scale, losses, train ? logits : Tensor());
  }

 private:
  const Regions& regions_;
  float z_loss_;
  int64_t start_, valid_;  // first vocabulary row of the slice, real (unpadded) rows in it
};

}  // namespace

std::unique_ptr<CrossEntropy> make_cross_entropy(const Regions& regions, float z_loss,
                                                 int64_t vocab_start, int64_t vocab_rows,
                                                 int64_t vocab_size) {
  if (!regions.splits_width() && vocab_rows == vocab_size)
    return std::make_unique<WholeVocabulary>(z_loss);
  const int64_t valid = std::clamp<int64_t>(vocab_size - vocab_start, 0, vocab_rows);
  return std::make_unique<VocabParallel>(regions, z_loss, vocab_start, valid);
}

}  // namespace ascent::tp
