#include "optim/lr_schedule.h"

#include <cmath>

#include "core/error.h"

namespace ascent {

LrDecayStyle parse_lr_decay_style(const std::string& s) {
  if (s == "constant") return LrDecayStyle::Constant;
  if (s == "linear") return LrDecayStyle::Linear;
  if (s == "cosine") return LrDecayStyle::Cosine;
  throw error("[optim] --lr-decay-style '", s, "' is not one of constant, linear, cosine");
}

float LrSchedule::at(int64_t iteration) const {
  if (warmup_iters > 0 && iteration <= warmup_iters)
    return lr * static_cast<float>(iteration) / static_cast<float>(warmup_iters);
  if (style == LrDecayStyle::Constant) return lr;
  if (iteration > decay_iters) return min_lr;
  const double ratio = static_cast<double>(iteration - warmup_iters) /
                       static_cast<double>(std::max<int64_t>(decay_iters - warmup_iters, 1));
  double coeff = style == LrDecayStyle::Linear ? 1.0 - ratio : 0.5 * (std::cos(M_PI * ratio) + 1.0);
  return static_cast<float>(min_lr + coeff * (lr - min_lr));
}

}  // namespace ascent
