#include "optim/loss_scaler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace ascent {

LossScaler::LossScaler(const LossScaleConfig& config) : config_(config) {
  config_.validate();
  state_.scale = config_.static_scale > 0 ? config_.static_scale : config_.initial_scale;
  state_.hysteresis_tracker = config_.hysteresis;
}

bool LossScaler::update(bool overflow) {
  skipped_in_a_row_ = overflow ? skipped_in_a_row_ + 1 : 0;
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

nlohmann::json LossScaler::to_json() const {
  return {{"scale", state_.scale},
          {"growth_tracker", state_.growth_tracker},
          {"hysteresis_tracker", state_.hysteresis_tracker}};
}

namespace {

const nlohmann::json& state_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw error("[optim] loss scaler state: missing field '", key, "'");
  return *it;
}

int64_t integer_field(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = state_field(j, key);
  if (!v.is_number_integer())
    throw error("[optim] loss scaler state: field '", key, "' must be an integer, got ", v.dump());
  return v.get<int64_t>();
}

}  // namespace

void LossScaler::restore_json(const nlohmann::json& j) {
  if (!j.is_object())
    throw error(
        "[optim] loss scaler state: expected an object with scale, growth_tracker and "
        "hysteresis_tracker, got ",
        j.type_name());
  State s;
  const nlohmann::json& scale = state_field(j, "scale");
  if (!scale.is_number() || !(scale.get<double>() > 0) || !std::isfinite(scale.get<double>()))
    throw error("[optim] loss scaler state: field 'scale' must be a finite number > 0, got ",
                scale.dump());
  s.scale = scale.get<double>();
  s.growth_tracker = integer_field(j, "growth_tracker");
  if (s.growth_tracker < 0)
    throw error("[optim] loss scaler state: field 'growth_tracker' must be >= 0, got ",
                s.growth_tracker);
  // Overflows past the hysteresis count keep decrementing it, so it may be zero or negative.
  s.hysteresis_tracker = integer_field(j, "hysteresis_tracker");
  state_ = s;
}

}  // namespace ascent
