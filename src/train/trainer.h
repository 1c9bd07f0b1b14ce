#pragma once
// The training loop of `ascent train`, on one process or on every rank of an MPI job.
// Construction follows a fixed order: arguments, parallel layout (when MPI is up), model config,
// this rank's shard of the weights, model chunks, optimizer (a ZeRO shard of it), data, weights
// (init or load), resume state. run() then does, per iteration: zero grads, forward/backward
// over this rank's micro-batches of one global batch (through the pipeline schedule when there
// are several stages), gradient reductions (tied embeddings across the pipeline, sequence-
// parallel replicas, data parallel), global-norm clipping, one optimizer step, logging,
// evaluation and saving.
//
// Every layout computes the single-process step: the same samples per global batch, the same
// loss weighting, dropout keyed by the global micro-batch index, and identical initial weights
// (each shard draws its own slice of the whole model's initialisation).
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "data/batch.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "optim/loss_scaler.h"
#include "optim/optimizer.h"
#include "parallel/dp/grad_reducer.h"
#include "parallel/dp/zero.h"
#include "parallel/pp/pipeline_runner.h"
#include "parallel/topology.h"
#include "parallel/tp/comm_tensor_parallel.h"
#include "parallel/watchdog.h"
#include "train/dp_overlap.h"
#include "train/train_args.h"
#include "train/zero_residency.h"

namespace ascent {

struct IterationStats {
  int64_t iteration = 0;
  double loss = 0;  // mean over the micro-batches of their mean token loss
  float lr = 0;
  double grad_norm = 0;
  double seconds = 0;
  int64_t tokens = 0;       // tokens processed (B*T over the micro-batches, padding included)
  int64_t real_tokens = 0;  // of which input tokens that are not padding
  int64_t loss_tokens = 0;  // tokens with a target
  double flops = 0;         // model FLOPs of the step over the processed tokens
  double tokens_per_s = 0;  // real tokens per second
  // Bytes this rank handed to the collectives and sends of its TP, DP and PP groups during the
  // step (parallel::Comm::payload_bytes); 0 in a single process.
  int64_t tp_bytes = 0, dp_bytes = 0, pp_bytes = 0;
  // This rank's activation memory high-water mark so far (stashes and scratch of its chunks).
  double activation_mib = 0;
  // --fp16: the loss scale this step ran with, and whether its gradients overflowed (then the
  // optimizer did not step). 1 and false otherwise.
  double loss_scale = 1;
  bool skipped = false;
  double padding() const {
    return tokens ? 1.0 - static_cast<double>(real_tokens) / static_cast<double>(tokens) : 0.0;
  }
};

class Trainer {
 public:
  // Takes finalized args (TrainArgs::finalize()) and the model to build (from flags, an HF
  // directory or the checkpoint being resumed). When MPI is initialised the job's world is
  // laid out as TP x DP x PP from the parallel flags; otherwise every size must be 1.
  Trainer(const TrainArgs& args, const ModelConfig& config);
  ~Trainer();

  // Trains until args.train_iters; returns the per-iteration stats of this run (the same on
  // every rank).
  const std::vector<IterationStats>& run();
  // Mean loss over eval_iters global batches of the validation split (NaN when it has no data).
  double evaluate();

  const ModelConfig& config() const { return weights_->config(); }
  ModelWeights& weights() { return *weights_; }
  int64_t iteration() const { return iteration_; }

 private:
  void setup_parallel();
  void build_model(const ModelConfig& config);
  void build_data();
  void init_or_load();
  void load_weights();
  void log_layout() const;
  // Throws when the checkpoint's data cursor counts other rows than this run would.
  void check_resumable(const nlohmann::json& ckpt_args) const;
  IterationStats train_step();
  // The reductions after the last backward of a step (module comment).
  void finish_gradients();
  void on_chunk_done(int chunk);
  double grad_norm() const;
  void optimizer_step(float lr, float clip);
  void log_iteration(const IterationStats& s);
  void save();

  bool distributed() const { return topo_ != nullptr; }
  int dp_size() const { return topo_ ? topo_->dp_size() : 1; }
  int dp_rank() const { return topo_ ? topo_->dp_rank() : 0; }

  TrainArgs args_;
  // Parallel layout; all null in a single process without MPI.
  std::unique_ptr<parallel::Watchdog> watchdog_;
  std::unique_ptr<parallel::Topology> topo_;
  std::unique_ptr<parallel::tp::CommTensorParallel> tp_group_;
  std::unique_ptr<parallel::zero::Sharding> sharding_;    // ZeRO >= 1
  std::unique_ptr<parallel::dp::GradReducer> reducer_;    // DP > 1
  std::unique_ptr<parallel::pp::PipelineRunner> runner_;  // PP > 1
  std::unique_ptr<ZeroResidency> zero_;                   // ZeRO-2 and 3
  std::unique_ptr<DpOverlap> overlap_;                    // DP, ZeRO-0/1, one stage
  ModelParallelConfig mp_;
  std::vector<int64_t> micro_batch_sizes_;  // this rank's micro-batches of one step
  int slots_ = 1;                           // micro-batches in flight per chunk

  std::unique_ptr<ModelWeights> weights_;
  std::vector<std::unique_ptr<Transformer>> chunks_;  // one per virtual pipeline stage
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LossScaler> scaler_;  // --fp16 only
  int64_t skipped_since_log_ = 0;
  // Flat ranges of each chunk's tensors (for --foldx-mode aiao), tensors whose gradient waits
  // for the tied-embedding sum, and the ranges counted once in the gradient norm.
  std::vector<std::vector<parallel::zero::Range>> chunk_ranges_;
  std::vector<parallel::zero::Range> deferred_ranges_, counted_ranges_;
  bool marked_ = false;  // ranges were marked ready during this step's backward

  std::unique_ptr<data::BatchSource> train_batches_;
  std::unique_ptr<data::BatchSource> valid_batches_;  // nullptr: no validation data
  int64_t iteration_ = 0;
  double peak_gflops_ = 0;
  std::ofstream metrics_;
  std::vector<IterationStats> history_;
  std::vector<data::Batch> step_batches_;
};

}  // namespace ascent
