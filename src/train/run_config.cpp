#include "train/run_config.h"

namespace ascent {

flags::Table RunConfig::flags() {
  flags::Table t("train");
  t.add("--train-iters", train_iters, "optimizer steps of the whole run").check(flags::at_least(0));
  t.add("--seed", seed, "seed of the initial weights, data order and dropout");
  t.add("--save", save, "checkpoint directory (empty: no checkpoints)");
  t.add("--save-interval", save_interval,
        "iterations between checkpoints (0: only at the end, with --save)")
      .check(flags::at_least(0));
  t.add("--load", load,
        "ascent checkpoint directory or HF model directory (empty: random weights; the --save "
        "directory before it holds a checkpoint: random weights too)");
  t.add("--finetune", finetune, "load weights only (start at iteration 0)");
  t.add("--eval-interval", eval_interval, "iterations between validations (0: only at the end)")
      .check(flags::at_least(0));
  t.add("--eval-iters", eval_iters, "validation batches per evaluation").check(flags::at_least(0));
  t.add("--log-interval", log_interval, "iterations between log lines").check(flags::positive());
  t.add("--metrics-file", metrics_file,
        "JSON lines, one per iteration (validation_loss / test_loss on the iterations evaluated; "
        "empty: none)");
  // Clean stops: save and exit 0 (train/trainer.cpp, Trainer::exit_reason).
  t.add("--exit-signal-handler", exit_signal_handler,
        "on SIGTERM, SIGINT, SIGHUP or SIGUSR1 finish the iteration, save (--save) and exit 0; a "
        "second signal ends the process at once (--exit-signal-handler=false: die at once)");
  t.add("--exit-interval", exit_interval,
        "save (--save) and exit 0 after an iteration that is a multiple of this (0: never)")
      .check(flags::at_least(0));
  t.add("--exit-duration-in-mins", exit_duration_in_mins,
        "save (--save) and exit 0 after the first iteration that ends past this many minutes "
        "since start-up (0: never)")
      .check(flags::at_least(0));
  // Model size against memory (train/memory_check.h).
  t.add("--skip-memory-check", skip_memory_check,
        "allocate even when weights, gradients and optimizer state exceed the available memory");
  // Checkpoint retention (save protocol).
  t.add("--keep-last-checkpoints", keep_last_checkpoints,
        "after each save, delete older checkpoints so that N remain (never the one "
        "latest_checkpointed_iteration.txt names); 0 keeps all")
      .check(flags::at_least(0));
  // Megatron's sample-based run length and partial resume (flag compatibility).
  t.add("--train-samples", train_samples,
        "run length in samples: --train-iters = this / --global-batch-size (0: --train-iters)")
      .check(flags::at_least(0));
  t.add("--no-load-optim", no_load_optim,
        "with --load: weights, iteration and data position from the checkpoint, a fresh "
        "optimizer (and loss scale)");
  // TensorBoard event files (train/tensorboard/), with Megatron-LM's flags.
  t.add("--tensorboard-dir", tensorboard_dir,
        "write TensorBoard event files here (Megatron's tags: lm loss, learning-rate, ...; "
        "empty: none)");
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
