#include "train/trainer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "checkpoint/hf_checkpoint.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/timer.h"
#include "data/blended_dataset.h"
#include "data/gpt_dataset.h"
#include "data/indexed_dataset.h"
#include "kernels/peak.h"
#include "optim/grad_clip.h"

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
  const std::vector<data::DataPathEntry> entries = data::parse_data_path(args_.data_path);
  std::vector<std::shared_ptr<const data::GptDataset>> train, valid;
  std::vector<double> train_w, valid_w;
  for (const data::DataPathEntry& e : entries) {
    auto ds = std::make_shared<const data::IndexedDataset>(e.prefix);
    const auto splits = data::split_documents(ds->num_documents(), args_.split);
    if (!splits[0].empty()) {
      train.push_back(std::make_shared<data::GptDataset>(ds, splits[0], args_.seq_length,
                                                         args_.seed, 0));
      train_w.push_back(e.weight);
    }
    if (!splits[1].empty()) {
      valid.push_back(std::make_shared<data::GptDataset>(ds, splits[1], args_.seq_length,
                                                         args_.seed, 1));
      valid_w.push_back(e.weight);
    }
  }
  if (train.empty()) throw error("[train] --split ", args_.split, " leaves no training documents");
  auto blend = [](std::vector<std::shared_ptr<const data::GptDataset>>& v,
                  std::vector<double>& w) -> std::shared_ptr<const data::SampleSource> {
    if (v.size() == 1) return v[0];
    return std::make_shared<data::BlendedDataset>(v, w);
  };
  train_loader_ = std::make_unique<data::DataLoader>(blend(train, train_w));
  if (!valid.empty()) valid_source_ = blend(valid, valid_w);
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
    iteration_ = ckpt.state.iteration;
    train_loader_->set_consumed(ckpt.state.consumed_train_samples);
  }
  ASCENT_LOG_INFO("loaded {} (iteration {}){}", ckpt.dir, ckpt.state.iteration,
                  args_.finetune ? ", weights only" : "");
}

IterationStats Trainer::train_step() {
  Timer timer;
  const int64_t B = args_.micro_batch_size, T = args_.seq_length;
  const int64_t micro_batches = args_.global_batch_size / B;
  weights_->zero_grad();
  double loss = 0;
  for (int64_t m = 0; m < micro_batches; ++m) {
    train_loader_->next_batch(B, tokens_, targets_);
    int64_t valid = 0;
    for (int32_t t : targets_) valid += t != kernels::kIgnoreIndex;
    // Megatron: each micro-batch's mean loss, averaged over the micro-batches.
    const float scale = 1.0f / static_cast<float>(std::max<int64_t>(valid, 1) * micro_batches);
    const MicroBatch mb{
        B, T, tokens_.data(), targets_.data(), nullptr, dropout_seed(args_.seed, iteration_, m)};
    const LossSum l = model_->forward_backward(mb, scale);
    loss += l.mean() / static_cast<double>(micro_batches);
  }
  ++iteration_;
  IterationStats s;
  s.iteration = iteration_;
  s.loss = loss;
  s.grad_norm = global_grad_norm(weights_->grad(), static_cast<size_t>(weights_->size()));
  s.lr = args_.lr.at(iteration_);
  optimizer_->step(*weights_, s.lr, clip_coefficient(s.grad_norm, args_.clip_grad));
  s.seconds = timer.seconds();
  s.tokens_per_s = static_cast<double>(args_.global_batch_size * T) / s.seconds;
  return s;
}

void Trainer::log_iteration(const IterationStats& s) {
  const double gflops = config().flops_per_token(args_.seq_length) * s.tokens_per_s / 1e9;
  if (metrics_.is_open()) {
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"iteration\":%lld,\"consumed_samples\":%lld,\"loss\":%.9g,\"lr\":%.9g,"
                  "\"grad_norm\":%.9g,\"ms_per_iter\":%.3f,\"tokens_per_s\":%.1f,\"tflops\":%.4f,"
                  "\"mfu\":%.4f}\n",
                  static_cast<long long>(s.iteration),
                  static_cast<long long>(train_loader_->consumed()), s.loss,
                  static_cast<double>(s.lr), s.grad_norm, s.seconds * 1e3, s.tokens_per_s,
                  gflops / 1e3, gflops / peak_gflops_);
    metrics_ << line;
    metrics_.flush();
  }
  if (s.iteration % args_.log_interval == 0 || s.iteration == args_.train_iters) {
    ASCENT_LOG_INFO(
        " iteration {:>6}/{:<6} | consumed samples {:>9} | {:8.1f} ms/iter | lr {:.3e} | loss "
        "{:.4f} | grad norm {:.3f} | {:8.0f} tokens/s | {:.3f} TFLOP/s | MFU {:.0f}%",
        s.iteration, args_.train_iters, train_loader_->consumed(), s.seconds * 1e3, s.lr, s.loss,
        s.grad_norm, s.tokens_per_s, gflops / 1e3, 100.0 * gflops / peak_gflops_);
  }
}

double Trainer::evaluate() {
  if (!valid_source_ || args_.eval_iters == 0) return std::numeric_limits<double>::quiet_NaN();
  // Always the same first eval_iters global batches of the validation split: comparable values.
  data::DataLoader loader(valid_source_);
  const int64_t B = args_.micro_batch_size, T = args_.seq_length;
  const int64_t batches = args_.eval_iters * (args_.global_batch_size / B);
  double sum = 0;
  for (int64_t i = 0; i < batches; ++i) {
    loader.next_batch(B, tokens_, targets_);
    sum += model_->forward({B, T, tokens_.data(), targets_.data(), nullptr}).mean();
  }
  return sum / static_cast<double>(batches);
}

void Trainer::save() {
  TrainState st;
  st.iteration = iteration_;
  st.consumed_train_samples = train_loader_->consumed();
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
