#include "train/trainer.h"

#include <fmt/format.h>

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
#include "train/train_data.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

// Dropout key of micro-batch m of the step that starts at `iteration` (0-based): a function of
// (seed, iteration, m) only, so a resumed run draws the same masks.
uint64_t dropout_seed(uint64_t seed, int64_t iteration, int64_t m) {
  uint32_t w[4];
  Philox::block(seed, static_cast<uint64_t>(iteration), static_cast<uint64_t>(m), w);
  return static_cast<uint64_t>(w[0]) | static_cast<uint64_t>(w[1]) << 32;
}

}  // namespace

Trainer::Trainer(const TrainArgs& args, const ModelConfig& config) : args_(args) {
  weights_ = std::make_unique<ModelWeights>(config, args_.bf16 ? DType::BF16 : DType::F32);
  model_ = std::make_unique<Transformer>(*weights_);
  optimizer_ = make_optimizer(args_.optim, *weights_);
  build_data();
  init_or_load();
  peak_gflops_ = kernels::measure_peak_f32(0.05).gflops;
  if (!args_.metrics_file.empty()) {
    metrics_.open(args_.metrics_file, std::ios::app);
    if (!metrics_) throw error("[train] --metrics-file ", args_.metrics_file, ": cannot open");
  }
}

void Trainer::build_data() {
  TrainData d = build_train_data(args_);
  train_batches_ = std::move(d.train);
  valid_batches_ = std::move(d.valid);
  for (const std::string& line : d.summary) ASCENT_LOG_INFO("{}", line);
}

void Trainer::check_resumable(const nlohmann::json& ckpt_args) const {
  // The cursor counts rows: samples, windows or packed rows. Those keys decide which.
  const nlohmann::json now = args_.to_json();
  std::vector<std::string> keys = {"is-instruction-dataset", "pack"};
  if (args_.pack) keys.push_back("seq-length");  // packing depends on the row length
  for (const std::string& k : keys) {
    const nlohmann::json then =
        ckpt_args.value(k, k == "seq-length" ? now[k] : nlohmann::json(false));
    if (then != now[k])
      throw error("[train] --load ", args_.load, ": the checkpoint was trained with --", k, " ",
                  then.dump(), ", this run has ", now[k].dump(),
                  "; its data cursor would point elsewhere (use --finetune to start over)");
  }
}

void Trainer::init_or_load() {
  if (args_.load.empty()) {
    weights_->init_random(args_.seed);
    return;
  }
  if (fs::exists(fs::path(args_.load) / "config.json") && !is_ascent_checkpoint(args_.load)) {
    load_hf_weights(args_.load, weights_->config(), weights_->layout(), weights_->master());
    weights_->refresh_compute();
    ASCENT_LOG_INFO("loaded HF weights from {}", args_.load);
    return;
  }
  const CheckpointInfo ckpt = open_checkpoint(args_.load);
  load_checkpoint(ckpt, *weights_, args_.finetune ? nullptr : optimizer_.get());
  if (!args_.finetune) {
    check_resumable(ckpt.state.args);
    iteration_ = ckpt.state.iteration;
    train_batches_->set_consumed(ckpt.state.consumed_train_samples);
  }
  ASCENT_LOG_INFO("loaded {} (iteration {}){}", ckpt.dir, ckpt.state.iteration,
                  args_.finetune ? ", weights only" : "");
}

IterationStats Trainer::train_step() {
  Timer timer;
  const int64_t micro_batches = args_.global_batch_size / args_.micro_batch_size;
  IterationStats s;
  weights_->zero_grad();
  double loss = 0;
  for (int64_t m = 0; m < micro_batches; ++m) {
    train_batches_->next(batch_);
    const data::Batch& b = batch_;
    const int64_t valid = b.loss_tokens();
    // Megatron: each micro-batch's mean loss, averaged over the micro-batches.
    const float scale = 1.0f / static_cast<float>(std::max<int64_t>(valid, 1) * micro_batches);
    const MicroBatch mb{b.B,
                        b.T,
                        b.tokens.data(),
                        b.targets.data(),
                        b.positions_or_null(),
                        dropout_seed(args_.seed, iteration_, m),
                        b.segments_or_null()};
    const LossSum l = model_->forward_backward(mb, scale);
    loss += l.mean() / static_cast<double>(micro_batches);
    s.tokens += b.B * b.T;
    s.real_tokens += b.real_tokens;
    s.loss_tokens += l.tokens;
    s.flops += config().flops_per_token(b.T) * static_cast<double>(b.B * b.T);
  }
  ++iteration_;
  s.iteration = iteration_;
  s.loss = loss;
  s.grad_norm = global_grad_norm(weights_->grad(), static_cast<size_t>(weights_->size()));
  s.lr = args_.lr.at(iteration_);
  optimizer_->step(*weights_, s.lr, clip_coefficient(s.grad_norm, args_.clip_grad));
  s.seconds = timer.seconds();
  s.tokens_per_s = static_cast<double>(s.real_tokens) / s.seconds;
  return s;
}

void Trainer::log_iteration(const IterationStats& s) {
  const double gflops = s.flops / s.seconds / 1e9;
  const int64_t consumed = train_batches_->consumed();
  if (metrics_.is_open()) {
    char line[640];
    std::snprintf(line, sizeof line,
                  "{\"iteration\":%lld,\"consumed_samples\":%lld,\"loss\":%.9g,\"lr\":%.9g,"
                  "\"grad_norm\":%.9g,\"ms_per_iter\":%.3f,\"tokens_per_s\":%.1f,\"tflops\":%.4f,"
                  "\"mfu\":%.4f,\"tokens\":%lld,\"real_tokens\":%lld,\"loss_tokens\":%lld,"
                  "\"padding\":%.6f}\n",
                  static_cast<long long>(s.iteration), static_cast<long long>(consumed), s.loss,
                  static_cast<double>(s.lr), s.grad_norm, s.seconds * 1e3, s.tokens_per_s,
                  gflops / 1e3, gflops / peak_gflops_, static_cast<long long>(s.tokens),
                  static_cast<long long>(s.real_tokens), static_cast<long long>(s.loss_tokens),
                  s.padding());
    metrics_ << line;
    metrics_.flush();
  }
  if (s.iteration % args_.log_interval == 0 || s.iteration == args_.train_iters) {
    const std::string padding =
        args_.is_instruction_dataset ? fmt::format(" | padding {:.1f}%", 100.0 * s.padding()) : "";
    ASCENT_LOG_INFO(
        " iteration {:>6}/{:<6} | consumed samples {:>9} | {:8.1f} ms/iter | lr {:.3e} | loss "
        "{:.4f} | grad norm {:.3f} | {:8.0f} tokens/s{} | {:.3f} TFLOP/s | MFU {:.0f}%",
        s.iteration, args_.train_iters, consumed, s.seconds * 1e3, s.lr, s.loss, s.grad_norm,
        s.tokens_per_s, padding, gflops / 1e3, 100.0 * gflops / peak_gflops_);
  }
}

double Trainer::evaluate() {
  if (!valid_batches_ || args_.eval_iters == 0) return std::numeric_limits<double>::quiet_NaN();
  // Always the same first eval_iters global batches of the validation split: comparable values.
  valid_batches_->set_consumed(0);
  const int64_t batches = args_.eval_iters * (args_.global_batch_size / args_.micro_batch_size);
  double sum = 0;
  for (int64_t i = 0; i < batches; ++i) {
    valid_batches_->next(batch_);
    const data::Batch& b = batch_;
    const MicroBatch mb{b.B,
                        b.T,
                        b.tokens.data(),
                        b.targets.data(),
                        b.positions_or_null(),
                        0,
                        b.segments_or_null()};
    sum += model_->forward(mb).mean();
  }
  return sum / static_cast<double>(batches);
}

void Trainer::save() {
  TrainState st;
  st.iteration = iteration_;
  st.consumed_train_samples = train_batches_->consumed();
  st.optimizer_steps = optimizer_->steps();
  st.seed = args_.seed;
  st.args = args_.to_json();
  save_checkpoint(args_.save, *weights_, optimizer_.get(), st);
  ASCENT_LOG_INFO(" saved checkpoint iteration {} to {}", iteration_, args_.save);
}

const std::vector<IterationStats>& Trainer::run() {
  const ModelConfig& c = config();
  ASCENT_LOG_INFO("model {}: {} parameters, {} layers, hidden {}, heads {}/{}, vocab {}; {}",
                  c.name, c.num_params(), c.num_layers, c.hidden_size, c.num_attention_heads,
                  c.num_query_groups, c.vocab_size, args_.bf16 ? "bf16 mixed precision" : "f32");
  while (iteration_ < args_.train_iters) {
    IterationStats s = train_step();
    history_.push_back(s);
    log_iteration(s);
    if (args_.eval_interval > 0 && iteration_ % args_.eval_interval == 0 &&
        iteration_ < args_.train_iters) {
      ASCENT_LOG_INFO(" validation loss at iteration {}: {:.4f}", iteration_, evaluate());
    }
    if (!args_.save.empty() && args_.save_interval > 0 && iteration_ % args_.save_interval == 0 &&
        iteration_ < args_.train_iters)
      save();
  }
  const double v = evaluate();
  if (!std::isnan(v)) ASCENT_LOG_INFO(" validation loss at the end: {:.4f} (ppl {:.2f})", v, std::exp(v));
  if (!args_.save.empty()) save();
  return history_;
}

}  // namespace ascent
