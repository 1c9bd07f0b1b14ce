#pragma once
// Learning-rate schedule with Megatron's semantics (OptimizerParamScheduler): linear warmup from
// 0 to lr over warmup_iters, then constant / linear / cosine decay from lr to min_lr until
// decay_iters, then min_lr. `iteration` is 1-based (the LR used by the first step is lr(1)).
#include <cstdint>
#include <string>

namespace ascent {

enum class LrDecayStyle { Constant, Linear, Cosine };
LrDecayStyle parse_lr_decay_style(const std::string& s);  // throws naming --lr-decay-style

struct LrSchedule {
  float lr = 1e-4f;
  float min_lr = 0.f;
  LrDecayStyle style = LrDecayStyle::Linear;
  int64_t warmup_iters = 0;
  int64_t decay_iters = 0;  // 0: the number of training iterations

  float at(int64_t iteration) const;
  void validate() const;  // throws naming the offending flag
};

}  // namespace ascent
