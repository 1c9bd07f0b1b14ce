#pragma once
// Softmax cross-entropy (+ z-loss) of the logits, vocabulary-parallel under TP (Megatron's
// vocab_parallel_cross_entropy): each rank holds the logits of its vocabulary slice, the row
// maxima and the two row sums are reduced over the group, so the logits are never gathered. A
// rank with the whole, unpadded vocabulary takes the fused single-pass kernels instead. The
// variant is chosen when the model is built.
#include <cstdint>
#include <memory>

#include "core/arena.h"
#include "core/tensor.h"
#include "model/layers/tp_regions.h"

namespace ascent::tp {

class CrossEntropy {
 public:
  virtual ~CrossEntropy() = default;
  // losses [N] (=) per-token loss of logits [N, VL] (this rank's vocabulary slice, f32) against
  // targets [N] (kIgnoreIndex: 0). With train, logits (=) grad_scale * d loss / d logits, in
  // place (the largest activation is reused). Temporaries in `scratch` (the caller rewinds).
  virtual void forward(const Tensor& logits, const int32_t* targets, bool train, float grad_scale,
                       const Tensor& losses, Arena& scratch) const = 0;
};

// The cross-entropy of a rank whose logits are vocabulary rows [vocab_start, vocab_start +
// vocab_rows) of a vocabulary of vocab_size (rows past it are padding).
std::unique_ptr<CrossEntropy> make_cross_entropy(const Regions& regions, float z_loss,
                                                 int64_t vocab_start, int64_t vocab_rows,
                                                 int64_t vocab_size);

}  // namespace ascent::tp
