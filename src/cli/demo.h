#pragma once
// The embedded demo of `ascent train` (and `make demo`): train a SentencePiece tokenizer on the
// tiny Shakespeare corpus built into the binary, preprocess it, train a small LLaMA for a few
// minutes, report validation loss against the unigram baseline, save, and print samples.
#include <cstdint>
#include <string>
#include <vector>

#include "train/compat_flags.h"
#include "train/train_args.h"

namespace ascent::cli {

struct DemoOptions {
  std::string work_dir = "runs/demo";
  int64_t vocab_size = 2048;
  int64_t train_iters = 360;
};

void run_demo(const DemoOptions& opts);
// `ascent train` with flags (shared with the demo). `compat_given`: the compatibility-only flags
// that were given (train/compat_flags.h), noted once by rank 0.
void run_training(TrainArgs args, const std::vector<const CompatFlag*>& compat_given = {});

}  // namespace ascent::cli
