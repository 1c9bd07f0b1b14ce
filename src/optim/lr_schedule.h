#pragma once
// Learning-rate schedule with Megatron's semantics (OptimizerParamScheduler): linear warmup from
// 0 to lr over warmup_iters, then constant / linear / cosine decay from lr to min_lr until
// decay_iters, then min_lr. `iteration` is 1-based (the LR used by the first step is lr(1)).
#include <cstdint>
#include <string>

#include "core/flags.h"

namespace ascent {

enum class LrDecayStyle { Constant, Linear, Cosine };
LrDecayStyle parse_lr_decay_style(const std::string& s);  // throws naming --lr-decay-style

struct LrSchedule {
  float lr = 1e-4f;
  float min_lr = 0.f;
  LrDecayStyle style = LrDecayStyle::Linear;
  int64_t warmup_iters = 0;
  int64_t decay_iters = 0;  // 0: the number of training iterations
  // --lr-decay-style as given; resolve() sets `style` from it.
  std::string decay_style = "linear";
  // Megatron's other spellings of warmup and decay lengths; resolve() turns them into iterations.
  double warmup_fraction = 0;  // > 0: warmup_iters = this * decay_iters (as Megatron, in double)
  int64_t warmup_samples = 0;  // > 0: warmup_iters = this / global batch, rounded up
  int64_t decay_samples = 0;   // > 0: decay_iters = this / global batch, rounded up

  float at(int64_t iteration) const;
  void validate() const;  // throws naming the offending flag

  // The flags above, bound to this instance (core/flags.h; optim/optim_flags.cpp).
  flags::Table flags();
  // After parsing: style from decay_style; the sample counts and the warmup fraction as
  // iterations (at `global_batch_size` samples each); decay_iters 0 -> train_iters; then
  // validate(). Throws naming the flags when two spellings of one length are given.
  void resolve(int64_t train_iters, int64_t global_batch_size = 1);
};

}  // namespace ascent
