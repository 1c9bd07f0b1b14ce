#include "train/run_config.h"

namespace ascent {

flags::Table RunConfig::flags() {
  flags::Table t("train");
  t.add("--train-iters", train_iters).check(flags::at_least(0));
  t.add("--seed", seed);
  t.add("--save", save, "checkpoint directory");
  t.add("--save-interval", save_interval).check(flags::at_least(0));
  t.add("--load", load, "ascent checkpoint directory or HF model directory");
  t.add("--finetune", finetune, "load weights only (start at iteration 0)");
  t.add("--eval-interval", eval_interval).check(flags::at_least(0));
  t.add("--eval-iters", eval_iters).check(flags::at_least(0));
  t.add("--log-interval", log_interval).check(flags::positive());
  t.add("--metrics-file", metrics_file,
        "JSON lines, one per iteration (validation_loss / test_loss on the iterations evaluated)");
  // TensorBoard event files (train/tensorboard/), with Megatron-LM's flags.
  t.add("--tensorboard-dir", tensorboard_dir,
        "write TensorBoard event files here (Megatron's tags: lm loss, learning-rate, ...)");
  t.add("--tensorboard-log-interval", tensorboard_log_interval,
        "iterations between TensorBoard scalars")
      .check(flags::positive());
  t.add("--log-timers-to-tensorboard", log_timers_to_tensorboard,
        "TensorBoard: iteration-time, throughput, tokens-per-sec every --log-interval");
  t.add("--log-memory-to-tensorboard", log_memory_to_tensorboard,
        "TensorBoard: activation high-water mark and peak resident memory");
  t.add("--log-validation-ppl-to-tensorboard", log_validation_ppl_to_tensorboard,
        "TensorBoard: validation perplexity beside the validation loss");
  return t;
}

}  // namespace ascent
