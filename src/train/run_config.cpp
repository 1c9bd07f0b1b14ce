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
  t.add("--metrics-file", metrics_file, "JSON lines, one per iteration");
  // Checkpoint retention (save protocol).
  t.add("--keep-last-checkpoints", keep_last_checkpoints,
        "after each save, delete older checkpoints so that N remain (never the one "
        "latest_checkpointed_iteration.txt names); 0 keeps all")
      .check(flags::at_least(0));
  return t;
}

}  // namespace ascent
