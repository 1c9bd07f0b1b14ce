#pragma once
// The flags of `ascent train` that shape the run itself: its length and seed, checkpoints,
// evaluation and logging.
#include <cstdint>
#include <string>

#include "core/flags.h"

namespace ascent {

struct RunConfig {
  int64_t train_iters = 100;
  uint64_t seed = 1234;
  std::string save, load;  // checkpoint directories (--load: or an HF model directory)
  int64_t save_interval = 0;
  bool finetune = false;  // --load weights only, start at iteration 0
  int64_t eval_interval = 0, eval_iters = 10, log_interval = 10;
  std::string metrics_file;  // JSON lines, one per iteration
  // Clean stops (Megatron's names): save a checkpoint and exit 0 on a signal, every N iterations
  // or after M minutes.
  bool exit_signal_handler = true;
  int64_t exit_interval = 0;
  double exit_duration_in_mins = 0;
  // Model size against memory: refuse a model state larger than the memory available.
  bool skip_memory_check = false;

  // Checkpoint retention (save protocol): how many complete checkpoints to keep; 0 keeps all.
  int64_t keep_last_checkpoints = 0;
  // Megatron's sample-based run length and partial resume (flag compatibility).
  int64_t train_samples = 0;   // > 0: train_iters = train_samples / global batch
  bool no_load_optim = false;  // --load: fresh optimizer state and loss scale
  // TensorBoard event files (train/tensorboard/), with Megatron-LM's flags.
  std::string tensorboard_dir;
  int64_t tensorboard_log_interval = 1;
  bool log_timers_to_tensorboard = false, log_memory_to_tensorboard = false,
       log_validation_ppl_to_tensorboard = false;

  // The flags above, bound to this instance (core/flags.h).
  flags::Table flags();
  // Throws "[train] --flag ..." for a value out of range.
  void validate() const { flags::validate(flags::read_only(*this)); }
};

}  // namespace ascent
