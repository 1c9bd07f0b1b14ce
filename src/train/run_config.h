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
