#include "train/trainer.h"

#include <fmt/format.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "checkpoint/hf_checkpoint.h"
#include "core/error.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/timer.h"
#include "kernels/peak.h"
#include "optim/grad_clip.h"
#include "parallel/flag_agreement.h"
#include "parallel/memory_report.h"
#include "parallel/pp/schedule.h"
#include "train/stage_model.h"
#include "train/train_data.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

using parallel::zero::Range;

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

// The flags every rank must share: all of them except the per-rank log outputs.
parallel::FlagList agreed_flags(const TrainArgs& a) {
  parallel::FlagList flags;
  const nlohmann::json all = a.to_json();
  for (const auto& [k, v] : all.items())
    if (k != "metrics-file") flags.emplace_back("--" + k, v.dump());
  return flags;
}

}  // namespace

Trainer::Trainer(const TrainArgs& args, const ModelConfig& config) : args_(args) {
  ModelConfig cfg = config;
  cfg.make_vocab_size_divisible_by = args_.model.make_vocab_size_divisible_by;
  setup_parallel();
  build_model(cfg);
  build_data();
  init_or_load();
  log_layout();
  peak_gflops_ = kernels::measure_peak_f32(0.05).gflops;
  if (!args_.run.metrics_file.empty() && (!distributed() || topo_->world_rank() == 0)) {
    metrics_.open(args_.run.metrics_file, std::ios::app);
    if (!metrics_) throw error("[train] --metrics-file ", args_.run.metrics_file, ": cannot open");
  }
}

Trainer::~Trainer() = default;

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

void Trainer::build_model(const ModelConfig& cfg) {
  mp_ = args_.model_parallel();
  mp_.validate(cfg);
  const int tp_rank = topo_ ? topo_->tp_rank() : 0, pp_rank = topo_ ? topo_->pp_rank() : 0;
  weights_ =
      std::make_unique<ModelWeights>(cfg, args_.compute_dtype(), mp_.shard(cfg, tp_rank, pp_rank),
                                     args_.zero() == 3   ? Residency::kOnDemand
                                     : args_.zero() == 2 ? Residency::kGradsOnDemand
                                                         : Residency::kResident);
  if (args_.zero() > 0)
    sharding_ = std::make_unique<parallel::zero::Sharding>(topo_->dp(), weights_->size());
  if (args_.zero() >= 2) {
    // The word embedding tied across pipeline stages is summed over the stages before it is
    // reduced over data-parallel ranks (finish_gradients).
    std::vector<std::string> deferred;
    if (args_.parallel.pipeline_model_parallel_size > 1 && cfg.tied_embeddings)
      deferred.push_back("model.embed_tokens.weight");
    zero_ = std::make_unique<ZeroResidency>(
        args_.zero(), *weights_, *sharding_,
        args_.parallel.sequence_parallel ? tp_group_.get() : nullptr, deferred);
  }

  micro_batch_sizes_ = args_.micro_batch_sizes(dp_size());
  const int chunks = mp_.virtual_stages(cfg);
  const int pp = args_.parallel.pipeline_model_parallel_size;
  const int64_t M = static_cast<int64_t>(micro_batch_sizes_.size());
  if (pp > 1) {
    const std::vector<parallel::pp::Action> schedule =
        chunks > 1 ? parallel::pp::interleaved(pp, pp_rank, chunks, M)
                   : parallel::pp::one_f_one_b(pp, pp_rank, M);
    slots_ = static_cast<int>(std::max<int64_t>(1, parallel::pp::max_in_flight(schedule)));
    runner_ = std::make_unique<parallel::pp::PipelineRunner>(topo_->pp(), chunks);
  }
  // Plain DP and ZeRO-1 all-reduce the gradient buffer in buckets; ZeRO-2/3 reduce-scatter each
  // region's gradients as its backward ends (ZeroResidency).
  if (dp_size() > 1 && !zero_) {
    reducer_ = std::make_unique<parallel::dp::GradReducer>(
        topo_->dp(), weights_->grad(), weights_->size(),
        std::min<int64_t>(args_.parallel.ddp_bucket_size > 0
                              ? args_.parallel.ddp_bucket_size
                              : parallel::default_bucket_size(dp_size()),
                          weights_->size()));
  }
  // With one stage, the last micro-batch's backward marks each region ready as it ends.
  if (reducer_ && pp == 1)
    overlap_ = std::make_unique<DpOverlap>(
        *weights_, *reducer_, args_.parallel.sequence_parallel ? tp_group_.get() : nullptr);
  for (int c = 0; c < chunks; ++c) {
    TransformerOptions o;
    o.tp.group = tp_group_.get();
    o.tp.sequence_parallel = args_.parallel.sequence_parallel;
    o.chunk = c;
    o.slots = slots_;
    o.residency = zero_ ? static_cast<ParamResidency*>(zero_.get()) : overlap_.get();
    o.recompute = args_.recompute_policy();
    chunks_.push_back(std::make_unique<Transformer>(*weights_, o));
  }

  OptimRange range;
  if (sharding_) range = {sharding_->mine().begin, sharding_->mine().count};
  optimizer_ = make_optimizer(args_.optim, *weights_, range);
  if (args_.precision.fp16) scaler_ = std::make_unique<LossScaler>(args_.loss_scale);

  // Ranges: per chunk (aiao), tied-embedding copies (reduced after the pipeline), gaps, and the
  // tensors counted in the gradient norm (replicated ones on TP rank 0 only; the tied head copy
  // of the last stage not at all: its gradient is the first stage's after the sum).
  const ParamLayout& layout = weights_->layout();
  const std::vector<LayerRange> ranges = layout.shard().resolved_layers(cfg);
  const bool tied_across_stages = pp > 1 && cfg.tied_embeddings;
  chunk_ranges_.assign(chunks, {});
  std::vector<Range> covered;
  for (const ParamSpec& s : layout.specs()) {
    const Range r{s.offset, s.numel};
    covered.push_back(r);
    const bool word_embedding = s.name == "model.embed_tokens.weight";
    if (!(s.split_dim < 0 && tp_rank > 0) &&
        !(tied_across_stages && word_embedding && !layout.shard().has_embedding))
      counted_ranges_.push_back(r);
    if (tied_across_stages && word_embedding) {
      deferred_ranges_.push_back(r);
      continue;
    }
    int chunk = 0;
    if (s.layer >= 0) {
      for (int c = 0; c < chunks; ++c)
        if (s.layer >= ranges[c].first && s.layer < ranges[c].last) chunk = c;
    } else if (s.name.rfind("model.norm", 0) == 0 || s.name == "lm_head.weight") {
      chunk = chunks - 1;
    }
    chunk_ranges_[chunk].push_back(r);
  }
  if (reducer_) {
    std::sort(covered.begin(), covered.end(),
              [](const Range& a, const Range& b) { return a.begin < b.begin; });
    std::vector<Range> gaps;
    int64_t at = 0;
    for (const Range& r : covered) {
      if (r.begin > at) gaps.push_back({at, r.begin - at});
      at = std::max(at, r.end());
    }
    if (at < weights_->size()) gaps.push_back({at, weights_->size() - at});
    reducer_->set_always_ready(gaps);
  }
}

void Trainer::build_data() {
  TrainData d = build_train_data(args_, dp_rank(), dp_size());
  train_batches_ = std::move(d.train);
  valid_batches_ = std::move(d.valid);
  for (const std::string& line : d.summary) ASCENT_LOG_INFO("{}", line);
}

void Trainer::check_resumable(const nlohmann::json& ckpt_args) const {
  // The cursor counts rows: samples, windows or packed rows. Those keys decide which.
  const nlohmann::json now = args_.to_json();
  std::vector<std::string> keys = {"is-instruction-dataset", "pack"};
  if (args_.data.pack) keys.push_back("seq-length");  // packing depends on the row length
  for (const std::string& k : keys) {
    const nlohmann::json then =
        ckpt_args.value(k, k == "seq-length" ? now[k] : nlohmann::json(false));
    if (then != now[k])
      throw error("[train] --load ", args_.run.load, ": the checkpoint was trained with --", k, " ",
                  then.dump(), ", this run has ", now[k].dump(),
                  "; its data cursor would point elsewhere (use --finetune to start over)");
  }
}

void Trainer::init_or_load() {
  load_weights();
  // ZeRO-3: every rank wrote the whole model; keep the shard.
  if (zero_) zero_->drop_unowned();
}

void Trainer::load_weights() {
  if (args_.run.load.empty()) {
    weights_->init_random(args_.run.seed);
    return;
  }
  if (fs::exists(fs::path(args_.run.load) / "config.json") &&
      !is_ascent_checkpoint(args_.run.load)) {
    load_hf_weights(args_.run.load, weights_->config(), weights_->layout(), weights_->master());
    weights_->refresh_compute();
    ASCENT_LOG_INFO("loaded HF weights from {}", args_.run.load);
    return;
  }
  const CheckpointInfo ckpt = open_checkpoint(args_.run.load);
  load_checkpoint(ckpt, *weights_, args_.run.finetune ? nullptr : optimizer_.get());
  if (!args_.run.finetune) {
    check_resumable(ckpt.state.args);
    iteration_ = ckpt.state.iteration;
    if (scaler_ && ckpt.state.loss_scaler.is_object()) {
      const nlohmann::json& j = ckpt.state.loss_scaler;
      scaler_->restore({j.at("scale").get<double>(), j.at("growth_tracker").get<int64_t>(),
                        j.at("hysteresis_tracker").get<int64_t>()});
    }
    // The cursor counts samples over every data-parallel rank; each rank's loader skips alike.
    train_batches_->set_consumed(ckpt.state.consumed_train_samples);
  }
  ASCENT_LOG_INFO("loaded {} (iteration {}, written by a TP{} PP{} DP{} job){}", ckpt.dir,
                  ckpt.state.iteration, ckpt.layout.model_parallel.tensor_model_parallel_size,
                  ckpt.layout.model_parallel.pipeline_model_parallel_size,
                  ckpt.layout.data_parallel_size, args_.run.finetune ? ", weights only" : "");
}

// Start-up report of the layout and of each rank's model-state memory (parameters, gradients,
// optimizer), from the buffers actually allocated, next to the analytic count.
void Trainer::log_layout() const {
  if (!distributed()) return;
  const int64_t N = weights_->size();
  const OptimRange r = optimizer_->range();
  int states = static_cast<int>(const_cast<Optimizer&>(*optimizer_).state().size());
  const bool separate_compute = weights_->compute_dtype() != DType::F32;
  // Resident: compute copy, master, gradients, optimizer state. ZeRO-1/2 keep the master and
  // gradient buffers whole and shard the optimizer state; ZeRO-3 keeps shards of everything
  // (plus, while a region runs, that region: "gather" below).
  const int64_t S = r.count;
  const bool z3 = zero_ && zero_->stage() == 3;
  const int64_t have[4] = {separate_compute ? 2 * (z3 ? S : N) : 0, 4 * (z3 ? S : N),
                           4 * (zero_ ? S : N), 4 * states * S};
  parallel::MemoryInputs in;
  in.params = N;
  in.compute_dtype = weights_->compute_dtype();
  in.optimizer_states = states;
  in.dp_size = dp_size();
  in.dp_rank = dp_rank();
  in.zero_stage = args_.zero();
  in.gather_max = z3 ? zero_->largest_region() : 0;
  in.gather_slots = 1;
  const parallel::MemoryReport rep = parallel::memory_report(in);
  const int W = topo_->world_size();
  std::vector<int64_t> mine = {
      N, have[0], have[1], have[2], have[3], rep.total() - rep.scratch_bytes, rep.shard};
  std::vector<int64_t> all(mine.size() * W);
  topo_->world().all_gather(mine.data(), static_cast<int64_t>(mine.size()), all.data());
  ASCENT_LOG_INFO("layout: {} ranks = TP {} x DP {} x PP {}{}{}{}; ZeRO stage {}", W,
                  topo_->tp_size(), topo_->dp_size(), topo_->pp_size(),
                  args_.parallel.sequence_parallel ? ", sequence parallel" : "",
                  chunks_.size() > 1 ? fmt::format(", {} virtual stages", chunks_.size()) : "",
                  args_.parallel.manual_mbs.empty()
                      ? ""
                      : ", manual micro-batch sizes " + args_.parallel.manual_mbs,
                  args_.zero());
  const double mib = 1.0 / 1048576.0;
  for (int w = 0; w < W; ++w) {
    const int64_t* v = all.data() + w * mine.size();
    const parallel::Coord c = topo_->layout().coord(w);
    ASCENT_LOG_INFO(
        " rank {} (tp {} dp {} pp {}): {} parameters; compute {:.2f} + master {:.2f} + "
        "grads {:.2f} + optimizer {:.2f} = {:.2f} MiB (analytic {:.2f} MiB; ZeRO shard {} "
        "elements)",
        w, c.tp, c.dp, c.pp, v[0], v[1] * mib, v[2] * mib, v[3] * mib, v[4] * mib,
        (v[1] + v[2] + v[3] + v[4]) * mib, v[5] * mib, v[6]);
  }
}

void Trainer::on_chunk_done(int chunk) {
  // --foldx-mode aiao: this chunk's gradients are final; sum its sequence-parallel replicas and
  // start its data-parallel reduction while the pipeline runs the other chunks.
  const ParamLayout& layout = weights_->layout();
  for (const Range& r : chunk_ranges_[chunk]) {
    if (args_.parallel.sequence_parallel && tp_group_) {
      for (const ParamSpec& s : layout.specs())
        if (s.offset == r.begin && s.split_dim < 0)
          tp_group_->all_reduce_sum(weights_->grad() + r.begin, r.count);
    }
    reducer_->mark_ready(r.begin, r.count);
  }
}

void Trainer::finish_gradients() {
  const ModelConfig& cfg = config();
  // The tied embedding's two copies (first and last stage) get the sum of their gradients.
  if (args_.parallel.pipeline_model_parallel_size > 1 && cfg.tied_embeddings &&
      topo_->embedding().member()) {
    for (const Range& r : deferred_ranges_)
      topo_->embedding().all_reduce(weights_->grad() + r.begin, r.count);
  }
  if (zero_) {
    // Everything else was reduced region by region during the backward.
    if (args_.parallel.pipeline_model_parallel_size > 1 && cfg.tied_embeddings)
      for (const Range& r : deferred_ranges_) zero_->reduce(r);
    return;
  }
  if (!marked_ && args_.parallel.sequence_parallel && tp_group_)
    sum_replicated_grads(*weights_, *tp_group_);
  if (reducer_) {
    if (marked_)
      for (const Range& r : deferred_ranges_) reducer_->mark_ready(r.begin, r.count);
    reducer_->finish();
  }
}

double Trainer::grad_norm() const {
  if (!distributed())
    return global_grad_norm(weights_->grad(), static_cast<size_t>(weights_->size()));
  if (zero_)
    return sharding_->shard_grad_norm(zero_->grad_shard(), &topo_->model_parallel(),
                                      counted_ranges_);
  if (sharding_)
    return sharding_->grad_norm(weights_->grad(), &topo_->model_parallel(), counted_ranges_);
  double sq = 0;
  for (const Range& r : counted_ranges_)
    sq += parallel::zero::sum_squares(weights_->grad() + r.begin, r.count);
  topo_->model_parallel().all_reduce(&sq, 1);
  return std::sqrt(sq);
}

void Trainer::optimizer_step(float lr, float clip) {
  optimizer_->step(*weights_, lr, clip, zero_ ? zero_->grad_shard() : nullptr);
  // ZeRO-3 gathers the other ranks' shards when it next uses them.
  if (sharding_ && !(zero_ && zero_->stage() == 3)) {
    // Each rank updated its shard of the master weights; everyone gets every shard.
    sharding_->all_gather_params(weights_->master());
    weights_->refresh_compute();
  }
}

IterationStats Trainer::train_step() {
  Timer timer;
  if (watchdog_) watchdog_->set_iteration(iteration_ + 1);
  IterationStats s;
  if (zero_) {
    zero_->zero_grad_shard();
  } else {
    weights_->zero_grad();
  }
  const int64_t bytes0[3] = {topo_ ? topo_->tp().payload_bytes() : 0,
                             topo_ ? topo_->dp().payload_bytes() : 0,
                             topo_ ? topo_->pp().payload_bytes() : 0};
  const int64_t M = static_cast<int64_t>(micro_batch_sizes_.size());
  step_batches_.resize(M);
  std::vector<uint64_t> seeds(M);
  for (int64_t m = 0; m < M; ++m) {
    if (args_.parallel.manual_mbs.empty()) {
      train_batches_->next(step_batches_[m]);
    } else {
      train_batches_->next_rows(step_batches_[m], micro_batch_sizes_[m]);
    }
    seeds[m] = dropout_seed(args_.run.seed, iteration_, m * dp_size() + dp_rank());
  }
  const bool aiao = args_.parallel.foldx_mode == "aiao" && reducer_;
  marked_ = aiao;
  const double loss_scale = scaler_ ? scaler_->scale() : 1.0;
  TrainStageModel stage(chunks_, slots_, step_batches_, seeds,
                        aiao ? std::function<void(int)>([this](int c) { on_chunk_done(c); })
                             : std::function<void(int)>(),
                        loss_scale);
  if (runner_) {
    runner_->run(stage, M);
  } else {
    for (int64_t m = 0; m < M; ++m) {
      stage.forward(0, m, nullptr);
      if (overlap_ && m == M - 1) {
        overlap_->arm(true);
        marked_ = true;
      }
      stage.backward(0, m, nullptr);
    }
    if (overlap_) overlap_->arm(false);
  }
  finish_gradients();

  // What one replica computed, summed over the data-parallel replicas: the loss lives on the last
  // stage; one TP rank of it reports.
  for (const data::Batch& b : step_batches_) {
    s.tokens += b.B * b.T;
    s.real_tokens += b.real_tokens;
    s.flops += config().flops_per_token(b.T) * static_cast<double>(b.B * b.T);
  }
  double sums[5] = {stage.loss(), static_cast<double>(stage.loss_tokens()),
                    static_cast<double>(s.tokens), static_cast<double>(s.real_tokens), s.flops};
  if (distributed()) {
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

  ++iteration_;
  s.iteration = iteration_;
  // The gradients carry the loss scale; an overflow (fp16) makes their norm inf or NaN on every
  // rank alike, and the step is skipped. The schedule advances with the steps taken.
  const double scaled_norm = grad_norm();
  s.grad_norm = scaled_norm / loss_scale;
  s.loss_scale = loss_scale;
  s.skipped = scaler_ && !scaler_->update(!std::isfinite(scaled_norm));
  s.lr = args_.lr.at(optimizer_->steps() + 1);
  if (!s.skipped)
    optimizer_step(s.lr, static_cast<float>(clip_coefficient(s.grad_norm, args_.optim.clip_grad) /
                                            loss_scale));
  if (topo_) {
    s.tp_bytes = topo_->tp().payload_bytes() - bytes0[0];
    s.dp_bytes = topo_->dp().payload_bytes() - bytes0[1];
    s.pp_bytes = topo_->pp().payload_bytes() - bytes0[2];
  }
  s.seconds = timer.seconds();
  s.tokens_per_s = static_cast<double>(s.real_tokens) / s.seconds;
  size_t activation_bytes = 0;
  for (const auto& chunk : chunks_) activation_bytes += chunk->activation_bytes_peak();
  s.activation_mib = static_cast<double>(activation_bytes) / 1048576.0;
  return s;
}

void Trainer::log_iteration(const IterationStats& s) {
  const double gflops = s.flops / s.seconds / 1e9;
  const int64_t consumed = train_batches_->consumed();
  skipped_since_log_ += s.skipped ? 1 : 0;
  if (metrics_.is_open()) {
    // An overflowing fp16 step has no gradient norm: JSON has no inf or NaN, so it is null.
    char norm[32] = "null";
    if (std::isfinite(s.grad_norm)) std::snprintf(norm, sizeof norm, "%.9g", s.grad_norm);
    char line[896];
    std::snprintf(line, sizeof line,
                  "{\"iteration\":%lld,\"consumed_samples\":%lld,\"loss\":%.9g,\"lr\":%.9g,"
                  "\"grad_norm\":%s,\"ms_per_iter\":%.3f,\"tokens_per_s\":%.1f,\"tflops\":%.4f,"
                  "\"mfu\":%.4f,\"tokens\":%lld,\"real_tokens\":%lld,\"loss_tokens\":%lld,"
                  "\"padding\":%.6f,\"tp_bytes\":%lld,\"dp_bytes\":%lld,\"pp_bytes\":%lld,"
                  "\"activation_mib\":%.2f,\"loss_scale\":%.9g,\"skipped\":%s}\n",
                  static_cast<long long>(s.iteration), static_cast<long long>(consumed), s.loss,
                  static_cast<double>(s.lr), norm, s.seconds * 1e3, s.tokens_per_s, gflops / 1e3,
                  gflops / peak_gflops_, static_cast<long long>(s.tokens),
                  static_cast<long long>(s.real_tokens), static_cast<long long>(s.loss_tokens),
                  s.padding(), static_cast<long long>(s.tp_bytes),
                  static_cast<long long>(s.dp_bytes), static_cast<long long>(s.pp_bytes),
                  s.activation_mib, s.loss_scale, s.skipped ? "true" : "false");
    metrics_ << line;
    metrics_.flush();
  }
  if (s.iteration % args_.run.log_interval == 0 || s.iteration == args_.run.train_iters) {
    const std::string padding = args_.data.is_instruction_dataset
                                    ? fmt::format(" | padding {:.1f}%", 100.0 * s.padding())
                                    : "";
    const int ranks = distributed() ? topo_->world_size() : 1;
    // Megatron's fp16 log: the scale and the steps skipped since the previous line.
    const std::string scaling =
        scaler_ ? fmt::format(" | loss scale {:g} | skipped {}", s.loss_scale, skipped_since_log_)
                : "";
    skipped_since_log_ = 0;
    ASCENT_LOG_INFO(
        " iteration {:>6}/{:<6} | consumed samples {:>9} | {:8.1f} ms/iter | lr {:.3e} | loss "
        "{:.4f} | grad norm {:.3f}{} | {:8.0f} tokens/s{} | {:.3f} TFLOP/s | MFU {:.0f}%",
        s.iteration, args_.run.train_iters, consumed, s.seconds * 1e3, s.lr, s.loss, s.grad_norm,
        scaling, s.tokens_per_s, padding, gflops / 1e3, 100.0 * gflops / (peak_gflops_ * ranks));
  }
}

double Trainer::evaluate() {
  if (!valid_batches_ || args_.run.eval_iters == 0) return std::numeric_limits<double>::quiet_NaN();
  // Always the same first eval_iters global batches of the validation split: comparable values.
  valid_batches_->set_consumed(0);
  const int64_t M = static_cast<int64_t>(micro_batch_sizes_.size());
  const int64_t batches = args_.run.eval_iters * M;
  const int pp = args_.parallel.pipeline_model_parallel_size;
  const int V = static_cast<int>(chunks_.size());
  data::Batch b;
  std::vector<float> act;
  double sum = 0;
  for (int64_t i = 0; i < batches; ++i) {
    valid_batches_->next(b);
    const MicroBatch mb{b.B,
                        b.T,
                        b.tokens.data(),
                        b.targets.data(),
                        b.positions_or_null(),
                        0,
                        b.segments_or_null()};
    if (pp == 1 && V == 1) {
      sum += chunks_[0]->forward(mb).mean();
      continue;
    }
    // Through the pipeline one virtual stage after the other (no overlap: evaluation is rare).
    const int64_t n = chunks_[0]->boundary_elements(b.B, b.T);
    act.resize(static_cast<size_t>(n));
    for (int v = 0; v < V * pp; ++v) {
      const int rank = v % pp, chunk = v / pp;
      if (rank != topo_->pp_rank()) continue;
      if (v > 0) topo_->pp().recv(act.data(), n, (rank + pp - 1) % pp, 7);
      LossSum l;
      const Tensor out = chunks_[chunk]->stage_forward(0, mb, v > 0 ? act.data() : nullptr,
                                                       /*train=*/false, 0.f, &l);
      if (v + 1 < V * pp) {
        topo_->pp().send(out.f32(), n, (rank + 1) % pp, 7);
      } else {
        sum += l.mean();
      }
    }
  }
  double mean = sum / static_cast<double>(batches);
  if (distributed()) {
    const bool reporter = topo_->is_last_stage() && topo_->tp_rank() == 0;
    if (!reporter) mean = 0;
    topo_->world().all_reduce(&mean, 1);
    mean /= dp_size();
  }
  return mean;
}

void Trainer::save() {
  TrainState st;
  st.iteration = iteration_;
  st.consumed_train_samples = train_batches_->consumed();
  st.optimizer_steps = optimizer_->steps();
  st.seed = args_.run.seed;
  st.args = args_.to_json();
  if (scaler_) {
    const LossScaler::State& ls = scaler_->state();
    st.loss_scaler = {{"scale", ls.scale},
                      {"growth_tracker", ls.growth_tracker},
                      {"hysteresis_tracker", ls.hysteresis_tracker}};
  }
  if (!distributed()) {
    save_checkpoint(args_.run.save, *weights_, optimizer_.get(), st);
    ASCENT_LOG_INFO(" saved checkpoint iteration {} to {}", iteration_, args_.run.save);
    return;
  }
  // Every model-parallel rank of data-parallel rank 0 writes its shard; under ZeRO the optimizer
  // state is gathered from the data-parallel ranks first.
  const parallel::Comm& world = topo_->world();
  std::string tag = std::to_string(getpid());
  world.broadcast(tag, 0);
  const PendingCheckpoint p = pending_checkpoint(args_.run.save, iteration_, tag);
  if (world.rank() == 0) begin_checkpoint(p);
  world.barrier();
  std::vector<Buffer> whole;
  NamedState state;
  std::vector<std::string> names;
  for (auto& [name, buf] : optimizer_->state()) {
    names.push_back(name);
    if (!sharding_) {
      state.emplace_back(name, buf);
      continue;
    }
    whole.emplace_back(DType::F32, weights_->size());
    float* w = static_cast<float*>(whole.back().data());
    const OptimRange r = optimizer_->range();
    std::copy(buf, buf + r.count, w + r.begin);
    sharding_->all_gather_params(w);
    state.emplace_back(name, w);
  }
  if (zero_ && zero_->stage() == 3) sharding_->all_gather_params(weights_->master());  // whole file
  CheckpointLayout layout;
  layout.model_parallel = mp_;
  layout.data_parallel_size = dp_size();
  layout.zero_stage = args_.zero();
  if (topo_->dp_rank() == 0) {
    const ShardPart part{&weights_->layout(), weights_->master(), state};
    save_checkpoint_shard(p, config(), layout, topo_->tp_rank(), topo_->pp_rank(),
                          std::span<const ShardPart>(&part, 1));
  }
  if (zero_) zero_->drop_unowned();
  world.barrier();
  if (world.rank() == 0) commit_checkpoint(p, config(), layout, names, st);
  world.barrier();
  ASCENT_LOG_INFO(" saved checkpoint iteration {} to {}", iteration_, args_.run.save);
}

const std::vector<IterationStats>& Trainer::run() {
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
  while (iteration_ < args_.run.train_iters) {
    IterationStats s = train_step();
    history_.push_back(s);
    log_iteration(s);
    if (args_.run.eval_interval > 0 && iteration_ % args_.run.eval_interval == 0 &&
        iteration_ < args_.run.train_iters) {
      ASCENT_LOG_INFO(" validation loss at iteration {}: {:.4f}", iteration_, evaluate());
    }
    if (!args_.run.save.empty() && args_.run.save_interval > 0 &&
        iteration_ % args_.run.save_interval == 0 && iteration_ < args_.run.train_iters)
      save();
  }
  const double v = evaluate();
  if (!std::isnan(v))
    ASCENT_LOG_INFO(" validation loss at the end: {:.4f} (ppl {:.2f})", v, std::exp(v));
  if (!args_.run.save.empty()) save();
  return history_;
}

}  // namespace ascent
