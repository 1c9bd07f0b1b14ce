#include "optim/loss_scaler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ascent {

void LossScaleConfig::validate() const {
  if (!(static_scale >= 0) || !std::isfinite(static_scale))
    throw error("[train] --loss-scale must be >= 0 (0: dynamic)");
  if (!(initial_scale > 0) || !std::isfinite(initial_scale))
    throw error("[train] --initial-loss-scale must be > 0");
  if (!(min_scale > 0) || min_scale > initial_scale)
    throw error("[train] --min-loss-scale must be > 0 and at most --initial-loss-scale");
  if (window < 1) throw error("[train] --loss-scale-window must be >= 1");
  if (hysteresis < 1) throw error("[train] --hysteresis must be >= 1");
}

LossScaler::LossScaler(const LossScaleConfig& config) : config_(config) {
  config_.validate();
  state_.scale = config_.static_scale > 0 ? config_.static_scale : config_.initial_scale;
  state_.hysteresis_tracker = config_.hysteresis;
}

bool LossScaler::update(bool overflow) {
  if (config_.static_scale > 0) return !overflow;
  if (overflow) {
    state_.growth_tracker = 0;
    if (--state_.hysteresis_tracker <= 0)
      state_.scale = std::max(state_.scale * 0.5, config_.min_scale);
    return false;
  }
  if (++state_.growth_tracker == config_.window) {
    state_.growth_tracker = 0;
    state_.hysteresis_tracker = config_.hysteresis;
    state_.scale *= 2;
  }
  return true;
}

}  // namespace ascent
