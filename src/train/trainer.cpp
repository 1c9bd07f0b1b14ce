#include "train/trainer.h"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/stop_signals.h"
#include "core/timer.h"
#include "kernels/peak.h"
#include "optim/grad_clip.h"
#include "parallel/flag_agreement.h"
#include "parallel/pp/pipeline_runner.h"
#include "parallel/pp/schedule.h"
#include "train/layout_report.h"
#include "train/memory_check.h"
#include "train/stage_model.h"
#include "train/train_data.h"

namespace ascent {
namespace {

// Dropout key of micro-batch g (its index in the whole global batch, whatever rank runs it) of
// the step that starts at `iteration` (0-based): a function of (seed, iteration, g) only, so a
// resumed run and every parallel layout draw the same masks.
uint64_t dropout_seed(uint64_t seed, int64_t iteration, int64_t g) {
  uint32_t w[4];
  Philox::block(seed, static_cast<uint64_t>(iteration), static_cast<uint64_t>(g), w);
  return static_cast<uint64_t>(w[0]) | static_cast<uint64_t>(w[1]) << 32;
}

bool mpi_initialized() {
  int up = 0, down = 0;
  MPI_Initialized(&up);
  MPI_Finalized(&down);
  return up && !down;
}

// The flags every rank must share: all of them except the log outputs (rank 0 writes them).
parallel::FlagList agreed_flags(const TrainArgs& a) {
  parallel::FlagList flags;
  const nlohmann::json all = a.to_json();
  for (const auto& [k, v] : all.items())
    if (k != "metrics-file" && k != "tensorboard-dir") flags.emplace_back("--" + k, v.dump());
  return flags;
}

}  // namespace

Trainer::Trainer(const TrainArgs& args, const ModelConfig& config, const CheckpointInfo* checkpoint)
    : args_(args) {
  ModelConfig cfg = config;
  cfg.make_vocab_size_divisible_by = args_.model.make_vocab_size_divisible_by;
  setup_parallel();
  build_weights(cfg);
  build_chunks();
  build_optimizer();
  build_data();
  init_or_load(checkpoint);
  if (topo_) log_layout(args_, *topo_, *weights_, *optimizer_, *sync_, mp_.virtual_stages(cfg));
  IterationLogConfig lc;
  if (!distributed() || topo_->world_rank() == 0) {
    lc.metrics_file = args_.run.metrics_file;
    lc.tensorboard = tensorboard_config();
  }
  lc.train_iters = args_.run.train_iters;
  lc.log_interval = args_.run.log_interval;
  lc.show_padding = args_.data.is_instruction_dataset;
  lc.show_loss_scale = scaler_ != nullptr;
  lc.ranks = distributed() ? topo_->world_size() : 1;
  lc.peak_gflops = kernels::measure_peak_f32(0.05).gflops;
  log_ = std::make_unique<IterationLog>(lc);
}

Trainer::~Trainer() = default;

tensorboard::BoardConfig Trainer::tensorboard_config() const {
  tensorboard::BoardConfig b;
  b.dir = args_.run.tensorboard_dir;
  b.log_interval = args_.run.tensorboard_log_interval;
  b.loss_scale = scaler_ != nullptr;
  b.timers = args_.run.log_timers_to_tensorboard;
  b.memory = args_.run.log_memory_to_tensorboard;
  b.validation_ppl = args_.run.log_validation_ppl_to_tensorboard;
  return b;
}

void Trainer::setup_parallel() {
  const bool parallel_flags = args_.parallel.tensor_model_parallel_size > 1 ||
                              args_.parallel.pipeline_model_parallel_size > 1 || args_.zero() > 0;
  if (!mpi_initialized()) {
    if (parallel_flags)
      throw error("[train] --tensor-model-parallel-size ",
                  args_.parallel.tensor_model_parallel_size, " --pipeline-model-parallel-size ",
                  args_.parallel.pipeline_model_parallel_size, " --zero-stage ", args_.zero(),
                  ": launch under mpirun (-np TP x PP x DP)");
    return;
  }
  const parallel::ParallelConfig& pc = args_.parallel;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (pc.distributed_timeout_minutes > 0)
    watchdog_ = std::make_unique<parallel::Watchdog>(rank, pc.distributed_timeout_minutes * 60.0);
  topo_ = std::make_unique<parallel::Topology>(pc, watchdog_.get());
  parallel::check_flag_agreement(topo_->world(), agreed_flags(args_));
  if (topo_->tp_size() > 1)
    tp_group_ = std::make_unique<parallel::tp::CommTensorParallel>(topo_->tp());
}

// This rank's shard of the weights, and how its gradients are synchronised.
void Trainer::build_weights(const ModelConfig& cfg) {
  mp_ = args_.model_parallel();
  mp_.validate(cfg);
  const int tp_rank = topo_ ? topo_->tp_rank() : 0, pp_rank = topo_ ? topo_->pp_rank() : 0;
  const ShardSpec shard = mp_.shard(cfg, tp_rank, pp_rank);
  // Refuse before allocating a model that cannot fit (--skip-memory-check: try anyway).
  if (!args_.run.skip_memory_check)
    check_model_state_fits(model_state_need(args_, cfg, shard, topo_.get()), available_memory());
  weights_ = std::make_unique<ModelWeights>(cfg, args_.compute_dtype(), shard,
                                            parallel::dp::residency_for(args_.zero()));
  parallel::dp::GradSyncConfig sc;
  sc.zero_stage = args_.zero();
  sc.sequence_parallel = args_.parallel.sequence_parallel;
  sc.chunks = mp_.virtual_stages(cfg);
  sc.reduce_per_chunk = args_.parallel.foldx_mode == "aiao";
  sc.bucket_size = args_.parallel.ddp_bucket_size;
  sync_ = parallel::dp::make_grad_sync(sc, topo_.get(), *weights_, tp_group_.get());
}

// The model chunks (virtual pipeline stages) and the schedule that runs them.
void Trainer::build_chunks() {
  micro_batch_sizes_ = args_.micro_batch_sizes(dp_size());
  const int chunks = mp_.virtual_stages(config());
  const int pp = args_.parallel.pipeline_model_parallel_size;
  const int64_t M = static_cast<int64_t>(micro_batch_sizes_.size());
  if (pp > 1) {
    const int pp_rank = topo_->pp_rank();
    slots_ = static_cast<int>(std::max<int64_t>(
        1,
        parallel::pp::max_in_flight(chunks > 1 ? parallel::pp::interleaved(pp, pp_rank, chunks, M)
                                               : parallel::pp::one_f_one_b(pp, pp_rank, M))));
    runner_ = std::make_unique<parallel::pp::PipelineRunner>(topo_->pp(), chunks);
  } else {
    runner_ = parallel::pp::make_local_runner();
  }
  for (int c = 0; c < chunks; ++c) {
    TransformerOptions o;
    o.tp.group = tp_group_.get();
    o.tp.sequence_parallel = args_.parallel.sequence_parallel;
    o.chunk = c;
    o.slots = slots_;
    o.residency = sync_->hooks();
    o.recompute = args_.recompute_policy();
    chunks_.push_back(std::make_unique<Transformer>(*weights_, o));
  }
}

void Trainer::build_optimizer() {
  const parallel::dp::Range r = sync_->optimizer_range();
  optimizer_ = make_optimizer(args_.optim, *weights_, OptimRange{r.begin, r.count});
  if (args_.precision.fp16) scaler_ = std::make_unique<LossScaler>(args_.loss_scale);
}

void Trainer::build_data() {
  TrainData d = build_train_data(args_, dp_rank(), dp_size(), weights_->config().vocab_size);
  train_batches_ = std::move(d.train);
  valid_batches_ = std::move(d.valid);
  test_batches_ = std::move(d.test);
  for (const std::string& line : d.summary) ASCENT_LOG_INFO("{}", line);
}

void Trainer::next_batches() {
  step_batches_.resize(micro_batch_sizes_.size());
  for (size_t m = 0; m < micro_batch_sizes_.size(); ++m) {
    if (args_.parallel.manual_mbs.empty()) {
      train_batches_->next(step_batches_[m]);
    } else {
      train_batches_->next_rows(step_batches_[m], micro_batch_sizes_[m]);
    }
  }
}

std::vector<uint64_t> Trainer::dropout_seeds() const {
  std::vector<uint64_t> seeds(step_batches_.size());
  for (size_t m = 0; m < seeds.size(); ++m)
    seeds[m] =
        dropout_seed(args_.run.seed, iteration_, static_cast<int64_t>(m) * dp_size() + dp_rank());
  return seeds;
}

std::vector<int64_t> Trainer::comm_bytes() const {
  if (!topo_) return {0, 0, 0};
  return {topo_->tp().payload_bytes(), topo_->dp().payload_bytes(), topo_->pp().payload_bytes()};
}

IterationStats Trainer::train_step() {
  Timer timer;
  if (watchdog_) watchdog_->set_iteration(iteration_ + 1);
  const std::vector<int64_t> bytes0 = comm_bytes();
  const double loss_scale = scaler_ ? scaler_->scale() : 1.0;

  sync_->zero_grad();
  next_batches();
  const std::vector<uint64_t> seeds = dropout_seeds();
  TrainStageModel stage(
      chunks_, slots_, step_batches_, seeds, [this](int c) { sync_->on_chunk_done(c); },
      loss_scale);
  sync_->begin_step(static_cast<int64_t>(step_batches_.size()));
  runner_->run(stage, static_cast<int64_t>(step_batches_.size()));
  sync_->finish();

  IterationStats s;
  sum_step_totals(stage, s);
  s.iteration = ++iteration_;
  update(s, loss_scale);

  const std::vector<int64_t> bytes = comm_bytes();
  s.tp_bytes = bytes[0] - bytes0[0];
  s.dp_bytes = bytes[1] - bytes0[1];
  s.pp_bytes = bytes[2] - bytes0[2];
  s.seconds = timer.seconds();
  s.tokens_per_s = static_cast<double>(s.real_tokens) / s.seconds;
  size_t activation_bytes = 0;
  for (const auto& chunk : chunks_) activation_bytes += chunk->activation_bytes_peak();
  s.activation_mib = static_cast<double>(activation_bytes) / 1048576.0;
  return s;
}

void Trainer::sum_step_totals(const TrainStageModel& stage, IterationStats& s) const {
  double tokens = 0, real_tokens = 0, flops = 0;
  for (const data::Batch& b : step_batches_) {
    tokens += static_cast<double>(b.B * b.T);
    real_tokens += static_cast<double>(b.real_tokens);
    flops += config().flops_per_token(b.T) * static_cast<double>(b.B * b.T);
  }
  double sums[5] = {stage.loss(), static_cast<double>(stage.loss_tokens()), tokens, real_tokens,
                    flops};
  if (distributed()) {
    // The loss lives on the last stage, one TP rank of which reports; the tokens on the first.
    const bool reporter = topo_->is_last_stage() && topo_->tp_rank() == 0;
    if (!reporter) sums[0] = sums[1] = 0;
    if (!(topo_->pp_rank() == 0 && topo_->tp_rank() == 0)) sums[2] = sums[3] = sums[4] = 0;
    topo_->world().all_reduce(sums, 5);
    sums[0] /= dp_size();
  }
  s.loss = sums[0];
  s.loss_tokens = static_cast<int64_t>(sums[1]);
  s.tokens = static_cast<int64_t>(sums[2]);
  s.real_tokens = static_cast<int64_t>(sums[3]);
  s.flops = sums[4];
}

void Trainer::update(IterationStats& s, double loss_scale) {
  // The gradients carry the loss scale; an overflow (fp16) makes their norm inf or NaN on every
  // rank alike, and the step is skipped. The schedule advances with the steps taken.
  const double scaled_norm = sync_->grad_norm();
  // Without loss scaling a non-finite loss or norm cannot recover: stop before the weights (and
  // any checkpoint) take it in. Every rank holds the same reduced values, so all stop alike.
  if (!scaler_ && !(std::isfinite(s.loss) && std::isfinite(scaled_norm)))
    throw error("[train] iteration ", s.iteration, ": the loss is ", s.loss,
                " and the gradient norm ", scaled_norm,
                " (not finite); training stopped before the optimizer step, so the latest "
                "checkpoint (if any) holds finite weights. Lower --lr or raise --clip-grad");
  s.grad_norm = scaled_norm / loss_scale;
  s.loss_scale = loss_scale;
  s.skipped = scaler_ && !scaler_->update(!std::isfinite(scaled_norm));
  s.lr = args_.lr.at(optimizer_->steps() + 1);
  if (s.skipped) {
    check_skipped_steps(s.iteration);
    return;
  }
  const float clip =
      static_cast<float>(clip_coefficient(s.grad_norm, args_.optim.clip_grad) / loss_scale);
  optimizer_->step(*weights_, s.lr, clip, sync_->optimizer_grad());
  sync_->after_step();
}

void Trainer::check_skipped_steps(int64_t iteration) const {
  if (!scaler_->too_many_skipped()) return;
  // Every rank skips alike (the same reduced norm), so all stop at the same iteration.
  throw error("[train] iteration ", iteration, ": ", scaler_->skipped_in_a_row(),
              " steps in a row overflowed in fp16 and were skipped (--max-skipped-steps ",
              args_.loss_scale.max_skipped_steps, "); the loss scale is now ", scaler_->scale(),
              " (--min-loss-scale ", args_.loss_scale.min_scale,
              "). Lower --lr, lower --initial-loss-scale, or train with --bf16");
}

double Trainer::evaluate() { return evaluate_split(valid_batches_.get()); }

double Trainer::evaluate_test() { return evaluate_split(test_batches_.get()); }

double Trainer::evaluate_split(data::BatchSource* split) {
  if (!split || args_.run.eval_iters == 0) return std::numeric_limits<double>::quiet_NaN();
  // Always the same first eval_iters global batches of the split: comparable values.
  split->set_consumed(0);
  const int64_t n = args_.run.eval_iters * static_cast<int64_t>(micro_batch_sizes_.size());
  std::vector<data::Batch> batches(static_cast<size_t>(n));
  for (data::Batch& b : batches) split->next(b);
  const std::vector<uint64_t> no_dropout(batches.size(), 0);
  TrainStageModel stage(chunks_, slots_, batches, no_dropout, {}, 1.0, StageMode::kEvaluate);
  runner_->run_forward(stage, n);
  double mean = stage.loss() / static_cast<double>(n);
  if (distributed()) {
    const bool reporter = topo_->is_last_stage() && topo_->tp_rank() == 0;
    if (!reporter) mean = 0;
    topo_->world().all_reduce(&mean, 1);
    mean /= dp_size();
  }
  return mean;
}

void Trainer::log_start() const {
  const ModelConfig& c = config();
  ASCENT_LOG_INFO("model {}: {} parameters, {} layers, hidden {}, heads {}/{}, vocab {}; {}",
                  c.name, c.num_params(), c.num_layers, c.hidden_size, c.num_attention_heads,
                  c.num_query_groups, c.vocab_size,
                  args_.precision.bf16   ? "bf16 mixed precision"
                  : args_.precision.fp16 ? "fp16 mixed precision with loss scaling"
                                         : "f32");
  const RecomputePolicy recompute = args_.recompute_policy();
  if (recompute.full)
    ASCENT_LOG_INFO(
        "activation recompute: full, {} ({} {} layer{} of each stage; their "
        "activations are rebuilt in the backward)",
        args_.recompute.method,
        recompute.method == RecomputeMethod::kUniform ? "groups of" : "the first",
        recompute.num_layers, recompute.num_layers == 1 ? "" : "s");
  else if (args_.recompute.granularity == "selective")
    ASCENT_LOG_INFO(
        "activation recompute: selective is what attention always does here (no "
        "score matrix is stored; its backward recomputes the probabilities)");
}

std::string Trainer::exit_reason() const {
  const RunConfig& r = args_.run;
  if (r.exit_interval > 0 && iteration_ % r.exit_interval == 0)
    return fmt::format("--exit-interval {}", r.exit_interval);
  if (!r.exit_signal_handler && r.exit_duration_in_mins <= 0) return "";
  // One all-reduce of two integers per iteration, so that every rank stops after the same one.
  const double minutes = started_.seconds() / 60.0;
  int64_t v[2] = {r.exit_signal_handler ? StopSignals::received() : 0,
                  r.exit_duration_in_mins > 0 && minutes >= r.exit_duration_in_mins};
  if (distributed()) topo_->world().all_reduce(v, 2, parallel::ReduceOp::Max);
  if (v[0] != 0) return signal_name(static_cast<int>(v[0])) + " received";
  if (v[1] != 0)
    return fmt::format("--exit-duration-in-mins {:g} ({:.2f} minutes since start-up)",
                       r.exit_duration_in_mins, minutes);
  return "";
}

void Trainer::exit_early(const std::string& reason, bool saved) {
  if (args_.run.save.empty()) {
    ASCENT_LOG_WARN("{}: exiting at iteration {}; no checkpoint saved (no --save)", reason,
                    iteration_);
    return;
  }
  if (!saved) save();
  ASCENT_LOG_INFO("{}: exiting at iteration {}; resume with --load {}", reason, iteration_,
                  args_.run.save);
}

const std::vector<IterationStats>& Trainer::run() {
  log_start();
  while (iteration_ < args_.run.train_iters) {
    IterationStats s = train_step();
    history_.push_back(s);
    const bool more = iteration_ < args_.run.train_iters;
    // Validation every --eval-interval and at the end; the test split at the end (Megatron).
    EvalLosses eval;
    if (!more || (args_.run.eval_interval > 0 && iteration_ % args_.run.eval_interval == 0))
      eval.validation = evaluate();
    if (!more) eval.test = evaluate_test();
    log_->write(s, train_batches_->consumed(), eval);
    if (!more) break;  // the end below saves
    bool saved = false;
    if (!args_.run.save.empty() && args_.run.save_interval > 0 &&
        iteration_ % args_.run.save_interval == 0) {
      save();
      saved = true;
    }
    if (const std::string reason = exit_reason(); !reason.empty()) {
      exit_early(reason, saved);
      log_->summary();
      return history_;
    }
  }
  if (!args_.run.save.empty()) save();
  log_->summary();
  return history_;
}

}  // namespace ascent
