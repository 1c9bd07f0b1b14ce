#pragma once
// Loss scaling for fp16 training (--fp16), with Megatron-LM's rules. The gradient of the loss is
// multiplied by scale() before the backward, so that small gradients survive f16 activations
// and operands; the optimizer divides it out again. A step whose gradient norm is not finite
// (an f16 overflow) is skipped. A dynamic scaler also moves the scale: after `hysteresis`
// skipped steps it halves it (not below `min_scale`), and after `window` clean steps in a row
// it doubles it (and the hysteresis count starts over).
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/flags.h"

namespace ascent {

struct LossScaleConfig {
  double static_scale = 0;              // > 0: this fixed scale (--loss-scale); 0: dynamic
  double initial_scale = 4294967296.0;  // 2^32, --initial-loss-scale
  double min_scale = 1;                 // --min-loss-scale
  int64_t window = 1000;                // --loss-scale-window
  int64_t hysteresis = 2;               // --hysteresis
  // A dynamic scale reaches --min-loss-scale 1 from 2^32 within about 34 skipped steps.
  int64_t max_skipped_steps = 100;  // --max-skipped-steps (0: no limit)

  // The flags above, bound to this instance (core/flags.h; optim/optim_flags.cpp).
  flags::Table flags();
  void validate() const;  // throws "[train] --flag ..." for a bad value
};

class LossScaler {
 public:
  explicit LossScaler(const LossScaleConfig& config);

  double scale() const { return state_.scale; }
  // After a step's backward: whether its gradients overflowed. Returns whether the optimizer may
  // step (no overflow), and updates a dynamic scale.
  bool update(bool overflow);
  // Overflowing steps since the last clean one, counted by update() in this process (a resumed
  // run counts from its first step; not part of State).
  int64_t skipped_in_a_row() const { return skipped_in_a_row_; }
  // True when --max-skipped-steps is set and that many steps in a row were skipped.
  bool too_many_skipped() const {
    return config_.max_skipped_steps > 0 && skipped_in_a_row_ >= config_.max_skipped_steps;
  }

  // What a checkpoint keeps so that a resumed run scales exactly as an uninterrupted one.
  struct State {
    double scale = 1;
    int64_t growth_tracker = 0;      // clean steps since the last change
    int64_t hysteresis_tracker = 0;  // overflows left before the next halving
  };
  const State& state() const { return state_; }
  void restore(const State& s) { state_ = s; }
  // The state as a checkpoint's metadata.json keeps it (TrainState::loss_scaler):
  // {"scale": double, "growth_tracker": int, "hysteresis_tracker": int}.
  nlohmann::json to_json() const;
  // Overwrites the state from to_json()'s form (also what checkpoints written before this function
  // existed hold). Throws ascent::Error "[optim] loss scaler state: ..." naming a missing or bad
  // field (scale must be a finite number > 0, the trackers integers, growth_tracker >= 0); the
  // state is unchanged then.
  void restore_json(const nlohmann::json& j);

 private:
  LossScaleConfig config_;
  State state_;
  int64_t skipped_in_a_row_ = 0;
};

}  // namespace ascent
