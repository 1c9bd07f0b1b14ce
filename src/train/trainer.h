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
#include "data/batch.h"
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
  int64_t tokens = 0;       // tokens processed (B*T over the micro-batches, padding included)
  int64_t real_tokens = 0;  // of which input tokens that are not padding
  int64_t loss_tokens = 0;  // tokens with a target
  double flops = 0;         // model FLOPs of the step over the processed tokens
  double tokens_per_s = 0;  // real tokens per second
  double padding() const {
    return tokens ? 1.0 - static_cast<double>(real_tokens) / static_cast<double>(tokens) : 0.0;
  }
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
  // Throws when the checkpoint's data cursor counts other rows than this run would.
  void check_resumable(const nlohmann::json& ckpt_args) const;
  IterationStats train_step();
  void log_iteration(const IterationStats& s);
  void save();

  TrainArgs args_;
  std::unique_ptr<ModelWeights> weights_;
  std::unique_ptr<Transformer> model_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<data::BatchSource> train_batches_;
  std::unique_ptr<data::BatchSource> valid_batches_;  // nullptr: no validation data
  int64_t iteration_ = 0;
  double peak_gflops_ = 0;
  std::ofstream metrics_;
  std::vector<IterationStats> history_;
  data::Batch batch_;
};

}  // namespace ascent
