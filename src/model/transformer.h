#pragma once
// The decoder: embedding -> L x [norm, attention, residual, norm, MLP, residual] -> final norm ->
// LM head -> softmax cross-entropy, with a hand-written backward. Every variant of DESIGN.md
// section 4 is chosen once, when the layers are built from the ModelConfig (model/layers/), and
// so is the tensor-parallel mode (one rank, TP, TP + SP: model/layers/tp_regions.h); this file
// only runs the layers in order and keeps their stashes.
//
// A Transformer runs the part of the model its ModelWeights shard holds (model/sharding.h):
//   - tensor parallelism (TransformerOptions::tp): heads, KV groups, FFN columns and the
//     vocabulary are this rank's slices; the layers reduce over the TP group
//     (model/tensor_parallel.h); the embedding and the cross-entropy are vocabulary-parallel, so
//     the logits are never gathered. With sequence parallelism the residual stream holds
//     N / tp rows per rank.
//   - pipeline parallelism: one object per model chunk of the shard (TransformerOptions::chunk);
//     stage_forward / stage_backward take and return the hidden states crossing the stage
//     boundary, one micro-batch per slot, so 1F1B keeps several micro-batches in flight.
// forward_backward() and forward() run a whole model (first and last stage in one object).
//
// Parameter gradients accumulate (+=) into weights.grad(), so consecutive micro-batches
// accumulate for free. Each slot's stash lives in its own arena, reset when the slot is reused.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/arena.h"
#include "model/config.h"
#include "model/layers/block.h"
#include "model/layers/embedding.h"
#include "model/layers/lm_head.h"
#include "model/layers/tp_regions.h"
#include "model/param_residency.h"
#include "model/recompute.h"
#include "model/tensor_parallel.h"
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
  double sum = 0.0;    // sum of per-token losses (z-loss included)
  int64_t tokens = 0;  // tokens with a target
  double mean() const { return tokens ? sum / static_cast<double>(tokens) : 0.0; }
};

struct TransformerOptions {
  TensorParallelism tp;  // no group: tp size 1 (the shard must have tp_size 1 then)
  int chunk = 0;         // which layer range of the shard this object runs (virtual stage)
  int slots = 1;         // micro-batches in flight at once (pipeline stashes)
  // Called around every use of the embedding, each block and the head (ZeRO-3); nullptr: all
  // parameters stay resident.
  ParamResidency* residency = nullptr;
  // Layers whose stashes a training forward drops and the backward rebuilds (model/recompute.h).
  RecomputePolicy recompute;
};

class Transformer {
 public:
  explicit Transformer(ModelWeights& weights, const TransformerOptions& opts = {});
  ~Transformer();

  // ---- A whole model (this object holds the embedding and the head): slot 0.
  // Forward and backward of one micro-batch, with the config's dropout keyed by mb.dropout_seed.
  // Gradients (+=) are those of grad_scale * (sum of token losses); pass 1/tokens for the mean
  // loss.
  LossSum forward_backward(const MicroBatch& mb, float grad_scale);
  // Forward only; no dropout unless `dropout` is kOn. When logits is defined ([B*T, V] f32, V
  // this rank's vocabulary rows) the logits are copied there; the loss is computed when
  // mb.targets is set.
  LossSum forward(const MicroBatch& mb, const Tensor& logits = Tensor(),
                  DropoutMode dropout = DropoutMode::kOff);

  // ---- One pipeline stage (chunk). Hidden states crossing a stage boundary are f32 [rows, C]
  // (rows = B*T, or B*T / tp with sequence parallelism).
  bool first_stage() const { return has_embedding_; }
  bool last_stage() const { return has_head_; }
  int64_t boundary_elements(int64_t B, int64_t T) const;
  // Forward of this chunk's layers on mb into `slot` (mb's arrays must stay valid until the
  // slot's backward). input: the previous stage's output (ignored on the first stage). On the
  // last stage the loss is computed (mb.targets needed) and returned in *loss, with training
  // also grad_scale * its gradient w.r.t. the logits, and the result is undefined; otherwise the
  // result is the output hidden states, valid until the slot is reused.
  Tensor stage_forward(int slot, const MicroBatch& mb, const float* input, bool train,
                       float grad_scale, LossSum* loss);
  // Backward of the micro-batch in `slot`. doutput: gradient w.r.t. stage_forward's output
  // (ignored on the last stage). Returns the gradient w.r.t. its input (undefined on the first
  // stage), valid until this object's next stage_backward. The slot's activations are freed as
  // the backward passes them (recomputed groups are rebuilt first).
  Tensor stage_backward(int slot, const float* doutput);

  size_t activation_bytes_peak() const;

 private:
  // Everything one in-flight micro-batch keeps between its forward and its backward.
  struct Slot {
    Arena stash{256u << 20};
    MicroBatch mb;
    LayerContext ctx;
    std::vector<int32_t> default_positions;
    std::vector<Tensor> x;  // held layers + 1 residual stream states [rows, C]
    std::vector<BlockStash> blocks;
    EmbeddingStash emb;
    HeadStash head;
    bool trained = false;  // dlogits computed
    bool dropped = false;  // the recomputed groups kept only their inputs
    // Where each block's (or recomputed group's) allocations and the head's begin in `stash`:
    // the backward frees them in reverse order as it goes, so a group rebuilt for its backward
    // reuses the memory of the layers already done.
    std::vector<Arena::Mark> block_mark;
    Arena::Mark head_mark;
  };

  LayerContext begin(Slot& s, const MicroBatch& mb, DropoutMode dropout);
  static LayerContext block_context(const LayerContext& ctx, int64_t layer);

  // The chunk's ends (chosen in the constructor, see forward_in_ ...).
  void embed(Slot& s, const float* input);
  void receive_input(Slot& s, const float* input);
  // The chunk's layers; with train, the recomputed groups keep only their inputs.
  void forward_blocks(Slot& s, bool train);
  // Block i of the chunk: s.x[i] -> s.x[i + 1] and s.blocks[i], in s.stash.
  void forward_block(Slot& s, size_t i);
  // Rebuilds the stashes of group g (freed above its input) just before its backward.
  void recompute_group(Slot& s, const LayerGroup& g);
  void head_logits(Slot& s);
  // The loss of the slot's logits and, with train, dlogits in place.
  LossSum head_loss(Slot& s, bool train, float grad_scale);
  Tensor head_output(Slot& s, bool train, float grad_scale, LossSum* loss);
  Tensor hand_on_output(Slot& s, bool train, float grad_scale, LossSum* loss);
  // dx (=) d loss / d x_L from the stashed dlogits.
  void head_backward(Slot& s, const float* doutput, const Tensor& dx);
  void receive_doutput(Slot& s, const float* doutput, const Tensor& dx);
  void blocks_backward(Slot& s, const Tensor& dx);
  Tensor embedding_backward(Slot& s, const Tensor& dx);
  Tensor hand_on_dinput(Slot& s, const Tensor& dx);

  ModelWeights& w_;
  const ModelConfig& cfg_;
  std::unique_ptr<tp::Regions> regions_;  // how this rank runs its part of the width
  std::vector<int64_t> blocks_;           // indices into params().blocks of this chunk's layers
  std::vector<LayerGroup> groups_;        // blocks_ in run/recompute groups
  bool has_embedding_ = true, has_head_ = true;
  // Pipeline stage ends: the first stage embeds, the last one runs the head (model chunk roles
  // are variants chosen once, like the layers').
  void (Transformer::*forward_in_)(Slot&, const float*) = nullptr;
  Tensor (Transformer::*forward_out_)(Slot&, bool, float, LossSum*) = nullptr;
  void (Transformer::*backward_in_)(Slot&, const float*, const Tensor&) = nullptr;
  Tensor (Transformer::*backward_out_)(Slot&, const Tensor&) = nullptr;
  Embedding embedding_;
  TransformerBlock block_;  // every block of the model (same variants; weights differ)
  LmHead head_;
  int64_t max_sequence_ = 0;  // longest micro-batch row the positions allow
  Arena scratch_;
  Arena dgrad_;  // stage_backward's running gradient of the residual stream
  std::vector<std::unique_ptr<Slot>> slots_;
  ParamResidency* residency_ = nullptr;
  // Scoped acquire/release of a region (no-op without residency hooks).
  struct Use {
    Use(ParamResidency* r, ParamRegion region, bool backward);
    ~Use() noexcept(false);
    ParamResidency* res;
    ParamRegion region;
    bool backward;
  };
};

}  // namespace ascent
