#pragma once
// The decoder: embedding -> L x [norm, attention, residual, norm, MLP, residual] -> final norm ->
// LM head -> softmax cross-entropy, with a hand-written backward. Every variant of DESIGN.md
// section 4 is chosen here, once, from the ModelConfig.
//
// One forward_backward() call processes one micro-batch: the stash lives in an arena that is
// reset at the start of the next call. Parameter gradients accumulate (+=) into weights.grad(),
// so consecutive micro-batches accumulate for free.
#include <cstdint>
#include <vector>

#include "core/arena.h"
#include "model/config.h"
#include "model/layers/attention.h"
#include "model/layers/mlp.h"
#include "model/layers/norm.h"
#include "model/weights.h"

namespace ascent {

struct MicroBatch {
  int64_t B = 0, T = 0;
  const int32_t* tokens = nullptr;     // [B*T]
  const int32_t* targets = nullptr;    // [B*T], kIgnoreIndex (-100) = no loss
  const int32_t* positions = nullptr;  // [B*T] or nullptr for 0..T-1 in every row
  uint64_t dropout_seed = 0;           // Philox key of this micro-batch's dropout masks
  // [B*T] attention segments, non-decreasing in each row: a token attends only to earlier tokens
  // of its segment (packed samples, --reset-attention-mask). nullptr: causal rows.
  const int32_t* segment_ids = nullptr;
};

// Whether a forward pass applies the config's dropout. Training (forward_backward) always does;
// evaluation does not; kOn in forward() reproduces forward_backward's masks (same dropout_seed),
// for gradient checks.
enum class DropoutMode { kOff, kOn };

struct LossSum {
  double sum = 0.0;     // sum of per-token losses (z-loss included)
  int64_t tokens = 0;   // tokens with a target
  double mean() const { return tokens ? sum / static_cast<double>(tokens) : 0.0; }
};

class Transformer {
 public:
  explicit Transformer(ModelWeights& weights);

  // Forward and backward of one micro-batch, with the config's dropout keyed by mb.dropout_seed.
  // Gradients (+=) are those of grad_scale * (sum of token losses); pass 1/tokens for the mean
  // loss.
  LossSum forward_backward(const MicroBatch& mb, float grad_scale);
  // Forward only; no dropout unless `dropout` is kOn. When logits is defined ([B*T, V] f32) the
  // logits are copied there; the loss is computed when mb.targets is set.
  LossSum forward(const MicroBatch& mb, const Tensor& logits = Tensor(),
                  DropoutMode dropout = DropoutMode::kOff);

  size_t activation_bytes_peak() const { return stash_.peak() + scratch_.peak(); }

 private:
  struct BlockStash {
    NormStash norm1, norm2;
    AttentionStash attn;
    MlpStash mlp;
  };
  LayerContext begin(const MicroBatch& mb, DropoutMode dropout);
  // ctx for block l (its dropout streams).
  static LayerContext block_context(const LayerContext& ctx, int64_t l);
  void forward_blocks(const LayerContext& ctx, const MicroBatch& mb);
  // Final norm and LM head: logits_ [N, V].
  void head_logits(const LayerContext& ctx);
  // Evaluation loss over logits_ (0 tokens without targets).
  LossSum head_loss(const LayerContext& ctx, const MicroBatch& mb);
  // Training: loss and dlogits in one pass (fused cross-entropy), then the LM head and final
  // norm backward; dx (=) d loss / d x_L.
  void head_loss_backward(const LayerContext& ctx, const MicroBatch& mb, float grad_scale,
                          const Tensor& dx, LossSum* loss);
  void blocks_backward(const LayerContext& ctx, const Tensor& dx);
  void embedding_backward(const LayerContext& ctx, const MicroBatch& mb, const Tensor& dx);
  Tensor lm_head_weight_c(const LayerContext& ctx);

  ModelWeights& w_;
  const ModelConfig& cfg_;
  Norm norm_;       // every norm of the model (same type and eps)
  Norm emb_norm_;   // Bloom's embedding LayerNorm
  SelfAttention attention_;
  Mlp mlp_;
  Arena stash_, scratch_;
  std::vector<int32_t> default_positions_;

  // Forward state kept for backward.
  std::vector<Tensor> x_;       // L+1 residual stream inputs/outputs [N, C]
  std::vector<Tensor> x_mid_;   // L residual after attention [N, C]
  std::vector<BlockStash> blocks_;
  Tensor emb_;                  // [N, C] embedding before the embedding norm (Bloom)
  NormStash emb_norm_stash_, final_norm_stash_;
  Tensor h_final_c_;            // [N, C] final normed hidden state, compute dtype
  Tensor logits_;               // [N, V]
  Tensor lm_eff_;               // [V, C] NormHead: normalised LM head (f32)
  Tensor lm_norms_;             // [V]
};

}  // namespace ascent
