#pragma once
// How attention sees token positions, one variant per ModelConfig::position, chosen when the
// model is built: RoPE rotates q and k (rotate-half, tables built once), ALiBi biases the scores
// inside the attention kernel (slopes of this rank's heads), and learned absolute positions were
// added at the input (model/layers/embedding.h), so attention does nothing with them. Shared by
// the training attention and the inference decoder.
#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "model/config.h"

namespace ascent {

class AttentionPositions {
 public:
  virtual ~AttentionPositions() = default;
  // qkv [N, >= heads*HS] f32: rotates the first `heads` heads of row n by position positions[n]
  // (RoPE; nothing otherwise). unrotate is its inverse, the backward of rotate.
  virtual void rotate(const Tensor& qkv, int64_t heads, const int32_t* positions) const = 0;
  virtual void unrotate(const Tensor& qkv, int64_t heads, const int32_t* positions) const = 0;
  // [heads] ALiBi slopes of this rank's heads (kernels::AttentionDims::alibi_slopes), or nullptr.
  virtual const float* alibi_slopes() const = 0;
  // Longest sequence the variant supports: max_position_embeddings, unbounded with ALiBi.
  virtual int64_t max_positions() const = 0;
};

// The variant of cfg.position for query heads [head_offset, head_offset + heads) of the model.
std::unique_ptr<AttentionPositions> make_attention_positions(const ModelConfig& cfg,
                                                             int64_t head_offset, int64_t heads);

}  // namespace ascent
