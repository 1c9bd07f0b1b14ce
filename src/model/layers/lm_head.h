#pragma once
// The model's output: final norm, then the LM head, a column-parallel projection onto this
// rank's vocabulary slice (the logits are never gathered), then the vocabulary-parallel
// cross-entropy. The head's weight is chosen when the model is built: the LM head itself (a tied
// model's is the word embedding: the same view, model/params.h) or Baichuan2's NormHead, whose
// rows are L2-normalised every time the head is used. Shared by the training transformer and
// the inference decoder.
#include <cstdint>
#include <memory>

#include "kernels/kernels.h"
#include "model/config.h"
#include "model/layers/context.h"
#include "model/layers/norm.h"
#include "model/layers/parallel_linear.h"
#include "model/layers/vocab_parallel_cross_entropy.h"
#include "model/params.h"

namespace ascent {

struct HeadStash {
  NormStash norm;       // the final norm
  Tensor h_c;           // [N, C] final normed hidden state (every rank's rows), compute dtype
  Tensor logits;        // [N, VL] f32 (training: overwritten by their gradient)
  Tensor w_eff, norms;  // NormHead: the normalised rows [VL, C] f32 and their norms [VL]
};

class LmHead {
 public:
  // This rank's logits are vocabulary rows [vocab_start, vocab_start + vocab_rows).
  LmHead(const ModelConfig& cfg, const tp::Regions& regions, int64_t vocab_start,
         int64_t vocab_rows);

  // st->logits [N, VL] (=, in ctx.stash) for x [rows, C] (read only), this rank's rows of the
  // last residual stream. p: f32 master views, c: compute weights. Fills `st` from ctx.stash.
  void forward(const LayerContext& ctx, const Tensor& x, const ModelParams& p, const ModelParams& c,
               HeadStash* st) const;
  // The summed loss of st.logits against targets [N] (kIgnoreIndex: no loss). With train,
  // st.logits (=) grad_scale * d loss / d logits, in place. Temporaries in ctx.scratch (rewound).
  kernels::MaskedSum loss(const LayerContext& ctx, const int32_t* targets, bool train,
                          float grad_scale, const HeadStash& st) const;
  // From the dlogits loss() left in st.logits. Gradient convention: dx (=) [rows, C] d loss / d x;
  // g.lm_head, g.final_norm_* (+=). Temporaries in ctx.scratch (rewound).
  void backward(const LayerContext& ctx, const HeadStash& st, const ModelParams& p,
                const ModelParams& c, const Tensor& dx, const ModelParams& g) const;

  // The two halves of forward, for the decoder. normed: the projection's operand h_c [N, C]
  // (compute dtype, in ctx.stash), the final norm of x [rows, C] gathered over the group.
  Tensor normed(const LayerContext& ctx, const Tensor& x, const ModelParams& p,
                NormStash* st) const;
  // weight: the head's operand [VL, C] in the compute dtype (NormHead: computed into ctx.stash,
  // st->w_eff and st->norms kept for backward).
  Tensor weight(const LayerContext& ctx, const ModelParams& p, const ModelParams& c,
                HeadStash* st) const {
    return weight_(ctx, p, c, st);
  }

 private:
  using Weight = Tensor (*)(const LayerContext& ctx, const ModelParams& p, const ModelParams& c,
                            HeadStash* st);
  // dh (=) [N, C] and g.lm_head (+=) from dlogits [N, VL] f32 and dlogits_c (compute dtype).
  using WeightBackward = void (*)(const LayerContext& ctx, const Tensor& dlogits,
                                  const Tensor& dlogits_c, const HeadStash& st,
                                  const ModelParams& c, const Tensor& dh, const ModelParams& g);

  Norm norm_;
  tp::ColumnParallelLinear proj_;
  std::unique_ptr<tp::CrossEntropy> cross_entropy_;
  Weight weight_;
  WeightBackward weight_backward_;
};

}  // namespace ascent
