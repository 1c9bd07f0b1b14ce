#pragma once
// The training loop of `ascent train`, on one process or on every rank of an MPI job.
// Construction follows a fixed order: arguments, parallel layout (when MPI is up), this rank's
// shard of the weights, the gradient synchronisation strategy, model chunks, step runner,
// optimizer, data, weights (init or load), resume state. Each iteration then reads as
// train_step(): zero gradients, run the schedule over this rank's micro-batches, finish the
// gradient synchronisation, norm and clip, optimizer step, after-step.
//
// The parallel modes live elsewhere and are chosen once: tensor and sequence parallelism inside
// the model's layer variants (model/), the pipeline schedule in the step runner (parallel/pp/),
// data parallelism and ZeRO in the gradient synchronisation strategy (parallel/dp/).
//
// Every layout computes the single-process step: the same samples per global batch, the same
// loss weighting, dropout keyed by the global micro-batch index, and identical initial weights
// (each shard draws its own slice of the whole model's initialisation).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "core/timer.h"
#include "data/batch.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "optim/loss_scaler.h"
#include "optim/optimizer.h"
#include "parallel/dp/grad_sync.h"
#include "parallel/pp/step_runner.h"
#include "parallel/topology.h"
#include "parallel/tp/comm_tensor_parallel.h"
#include "parallel/watchdog.h"
#include "train/iteration_log.h"
#include "train/train_args.h"

namespace ascent {

class TrainStageModel;

class Trainer {
 public:
  // Takes finalized args (TrainArgs::finalize()) and the model to build (from flags, an HF
  // directory or the checkpoint being resumed). `checkpoint`: the ascent checkpoint --load names,
  // already opened by the caller (nullptr: opened here when --load names one). When MPI is
  // initialised the job's world is laid out as TP x DP x PP from the parallel flags; otherwise
  // every size must be 1.
  Trainer(const TrainArgs& args, const ModelConfig& config,
          const CheckpointInfo* checkpoint = nullptr);
  ~Trainer();

  // Trains until args.train_iters; returns the per-iteration stats of this run (the same on
  // every rank).
  const std::vector<IterationStats>& run();
  // Mean loss over eval_iters global batches of the validation split (NaN when it has no data).
  double evaluate();
  // The same over the test split (the third --split weight).
  double evaluate_test();

  const ModelConfig& config() const { return weights_->config(); }
  ModelWeights& weights() { return *weights_; }
  int64_t iteration() const { return iteration_; }

 private:
  void setup_parallel();
  void build_weights(const ModelConfig& config);
  void build_chunks();
  void build_optimizer();
  void build_data();
  void init_or_load(const CheckpointInfo* checkpoint);
  void load(const CheckpointInfo& ckpt);
  // Throws when the checkpoint's data cursor counts other rows than this run would.
  void check_resumable(const nlohmann::json& ckpt_args) const;
  void log_start() const;
  tensorboard::BoardConfig tensorboard_config() const;
  double evaluate_split(data::BatchSource* split);

  IterationStats train_step();
  void next_batches();
  std::vector<uint64_t> dropout_seeds() const;
  // Tokens, FLOPs and the loss of the step, summed over the ranks that own them.
  void sum_step_totals(const TrainStageModel& stage, IterationStats& s) const;
  // Norm, loss-scale bookkeeping, clipping and the optimizer step (skipped on fp16 overflow).
  void update(IterationStats& s, double loss_scale);
  // fp16: throws once --max-skipped-steps steps in a row were skipped.
  void check_skipped_steps(int64_t iteration) const;
  // Why the run stops after this iteration, the same on every rank: a stop signal received by
  // any rank (--exit-signal-handler), --exit-interval or --exit-duration-in-mins; "" to go on.
  std::string exit_reason() const;
  // Saves (unless `saved` already, or without --save) and logs why and where the run stopped.
  void exit_early(const std::string& reason, bool saved);
  // Bytes handed to the TP, DP and PP groups so far (zeros in a single process).
  std::vector<int64_t> comm_bytes() const;
  void save();
  // True when the checkpoint this run would save is the one it loaded, unchanged (no step since,
  // and the marker of --save names it): rerunning a finished job writes nothing.
  bool already_saved() const;
  void prune_checkpoints_after_save() const;

  bool distributed() const { return topo_ != nullptr; }
  int dp_size() const { return topo_ ? topo_->dp_size() : 1; }
  int dp_rank() const { return topo_ ? topo_->dp_rank() : 0; }

  TrainArgs args_;
  Timer started_;  // --exit-duration-in-mins counts from construction (start-up and loading)
  // Parallel layout; null in a single process without MPI.
  std::unique_ptr<parallel::Watchdog> watchdog_;
  std::unique_ptr<parallel::Topology> topo_;
  std::unique_ptr<parallel::tp::CommTensorParallel> tp_group_;
  ModelParallelConfig mp_;

  std::unique_ptr<ModelWeights> weights_;
  std::unique_ptr<parallel::dp::GradSync> sync_;
  std::vector<std::unique_ptr<Transformer>> chunks_;  // one per virtual pipeline stage
  std::unique_ptr<parallel::pp::StepRunner> runner_;
  int slots_ = 1;                           // micro-batches in flight per chunk
  std::vector<int64_t> micro_batch_sizes_;  // this rank's micro-batches of one step
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LossScaler> scaler_;  // --fp16 only

  std::unique_ptr<data::BatchSource> train_batches_;
  std::unique_ptr<data::BatchSource> valid_batches_;  // nullptr: no validation data
  std::unique_ptr<data::BatchSource> test_batches_;   // nullptr: no test data
  std::vector<data::Batch> step_batches_;
  int64_t iteration_ = 0;
  std::unique_ptr<IterationLog> log_;
  std::vector<IterationStats> history_;

  // The checkpoint directory this run resumed from ("" : none, or --finetune).
  std::string loaded_dir_;
};

}  // namespace ascent
