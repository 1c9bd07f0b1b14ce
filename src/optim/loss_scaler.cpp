#include "optim/loss_scaler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ascent {

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
