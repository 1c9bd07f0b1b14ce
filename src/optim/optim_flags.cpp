// The flag tables of the optimizer, the learning-rate schedule and the loss scaler, and the checks
// that span several of their flags.
#include <cmath>

#include "core/error.h"
#include "optim/loss_scaler.h"
#include "optim/lr_schedule.h"
#include "optim/optimizer.h"

namespace ascent {

flags::Table OptimConfig::flags() {
  flags::Table t("optim");
  t.add("--optimizer", name, "adam (AdamW; fused_adam is the same) or sgd")
      .check(flags::one_of({"adam", "sgd"}));
  t.add("--adam-beta1", beta1, "Adam's first-moment decay").check(flags::in_unit_interval());
  t.add("--adam-beta2", beta2, "Adam's second-moment decay").check(flags::in_unit_interval());
  t.add("--adam-eps", eps, "Adam's denominator epsilon").check(flags::greater_than(0));
  t.add("--weight-decay", weight_decay, "decoupled weight decay (AdamW)").check(flags::at_least(0));
  t.add("--sgd-momentum", momentum, "momentum of --optimizer sgd").check(flags::in_unit_interval());
  t.add("--clip-grad", clip_grad, "global gradient norm limit (0 = off)")
      .check(flags::at_least(0))
      .reported_as("train");
  return t;
}

void OptimConfig::validate() const { flags::validate(flags::read_only(*this)); }

flags::Table LrSchedule::flags() {
  flags::Table t("optim");
  t.add("--lr", lr, "peak learning rate").check(flags::at_least(0));
  t.add("--min-lr", min_lr, "learning rate at the end of the decay");
  t.add("--lr-decay-style", decay_style, "constant, linear or cosine")
      .check(flags::one_of({"constant", "linear", "cosine"}));
  t.add("--lr-warmup-iters", warmup_iters, "iterations of linear warmup from 0 to --lr")
      .check(flags::at_least(0));
  t.add("--lr-decay-iters", decay_iters, "iterations of decay (0: --train-iters)")
      .check(flags::at_least(0));
  // Megatron's fraction- and sample-based lengths (flag compatibility).
  t.add("--lr-warmup-fraction", warmup_fraction,
        "warmup as a fraction of the decay iterations (0: --lr-warmup-iters)")
      .check(flags::in_unit_interval());
  t.add("--lr-warmup-samples", warmup_samples,
        "warmup in samples, rounded up to whole iterations (0: --lr-warmup-iters)")
      .check(flags::at_least(0));
  t.add("--lr-decay-samples", decay_samples,
        "decay in samples, rounded up to whole iterations (0: --lr-decay-iters)")
      .check(flags::at_least(0));
  return t;
}

namespace {

int64_t samples_to_iters(int64_t samples, int64_t global_batch_size) {
  return (samples + global_batch_size - 1) / global_batch_size;
}

}  // namespace

void LrSchedule::validate() const {
  flags::validate(flags::read_only(*this));
  if (!(min_lr >= 0.f) || min_lr > lr) throw error("[optim] --min-lr must be in [0, --lr]");
  if (style != LrDecayStyle::Constant && decay_iters > 0 && warmup_iters > decay_iters)
    throw error("[optim] --lr-warmup-iters (", warmup_iters, ") exceeds --lr-decay-iters (",
                decay_iters, ")");
}

void LrSchedule::resolve(int64_t train_iters, int64_t global_batch_size) {
  flags::validate(flags::read_only(*this));
  style = parse_lr_decay_style(decay_style);
  const int given_warmups = (warmup_iters > 0) + (warmup_fraction > 0) + (warmup_samples > 0);
  if (given_warmups > 1)
    throw error("[optim] give one of --lr-warmup-iters, --lr-warmup-fraction, --lr-warmup-samples");
  if (decay_iters > 0 && decay_samples > 0)
    throw error("[optim] give one of --lr-decay-iters, --lr-decay-samples");
  if (decay_samples > 0) decay_iters = samples_to_iters(decay_samples, global_batch_size);
  if (decay_iters == 0) decay_iters = train_iters;
  if (warmup_samples > 0) warmup_iters = samples_to_iters(warmup_samples, global_batch_size);
  // Megatron: warmup steps = fraction x decay steps, truncated.
  if (warmup_fraction > 0)
    warmup_iters = static_cast<int64_t>(warmup_fraction * static_cast<double>(decay_iters));
  validate();
}

flags::Table LossScaleConfig::flags() {
  // A finite scale, positive (or >= 0 where 0 means dynamic).
  const auto scale_at_least = [](double low, bool strict, const char* what) {
    return flags::holds(
        [low, strict](const nlohmann::json& v) {
          const double x = v.get<double>();
          return std::isfinite(x) && (strict ? x > low : x >= low);
        },
        what);
  };
  flags::Table t("train");
  t.add("--loss-scale", static_scale, "with --fp16: a fixed loss scale (0: dynamic, the default)")
      .check(scale_at_least(0, false, "must be >= 0 (0: dynamic)"));
  t.add("--initial-loss-scale", initial_scale,
        "with --fp16: the dynamic scale to start from (2^32)")
      .check(scale_at_least(0, true, "must be > 0"));
  t.add("--min-loss-scale", min_scale, "with --fp16: the dynamic scale never goes below this (1)");
  t.add("--loss-scale-window", window,
        "with --fp16: clean steps in a row before the dynamic scale doubles (1000)")
      .check(flags::at_least(1));
  t.add("--hysteresis", hysteresis,
        "with --fp16: overflowing steps before the dynamic scale halves (2)")
      .check(flags::at_least(1));
  // fp16 skip limit: a run whose every step overflows stops instead of skipping forever.
  t.add("--max-skipped-steps", max_skipped_steps,
        "with --fp16: stop with an error after this many overflowing (skipped) steps in a row "
        "(0: never stop)")
      .check(flags::at_least(0));
  return t;
}

void LossScaleConfig::validate() const {
  flags::validate(flags::read_only(*this));
  if (!(min_scale > 0) || min_scale > initial_scale)
    throw error("[train] --min-loss-scale must be > 0 and at most --initial-loss-scale");
}

}  // namespace ascent
