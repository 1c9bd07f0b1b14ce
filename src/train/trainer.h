#pragma once
// The training loop of `ascent train` on one process. Construction follows a fixed order:
// arguments, tokenizer, model config, data, weights (init or load), optimizer, resume state.
// run() then does, per iteration: zero grads, forward/backward over the micro-batches of one
// global batch, global-norm clipping, one optimizer step, logging, evaluation and saving.
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "data/loader.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "optim/optimizer.h"
#include "tokenizer/tokenizer.h"
#include "train/train_args.h"

namespace ascent {

struct IterationStats {
  int64_t iteration = 0;
  double loss = 0;          // mean over the micro-batches of their mean token loss
  float lr = 0;
  double grad_norm = 0;
  double seconds = 0;
  double tokens_per_s = 0;
};

class Trainer {
 public:
  // Takes finalized args (TrainArgs::finalize()) and the model to build (from flags, an HF
  // directory or the checkpoint being resumed).
  Trainer(const TrainArgs& args, const ModelConfig& config);

  // Trains until args.train_iters; returns the per-iteration stats of this run.
  const std::vector<IterationStats>& run();
  // Mean loss over eval_iters global batches of the validation split (NaN when it has no data).
  double evaluate();

  const ModelConfig& config() const { return weights_->config(); }
  ModelWeights& weights() { return *weights_; }
  int64_t iteration() const { return iteration_; }

 private:
  void build_data();
  void init_or_load();
  IterationStats train_step();
  void log_iteration(const IterationStats& s);
  void save();

  TrainArgs args_;
  std::unique_ptr<ModelWeights> weights_;
  std::unique_ptr<Transformer> model_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<data::DataLoader> train_loader_;
  std::shared_ptr<const data::SampleSource> valid_source_;
  int64_t iteration_ = 0;
  double peak_gflops_ = 0;
  std::ofstream metrics_;
  std::vector<IterationStats> history_;
  std::vector<int32_t> tokens_, targets_;
};

}  // namespace ascent
