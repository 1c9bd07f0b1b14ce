#include "train/iteration_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/log.h"

namespace ascent {
namespace {

// "4:07" or "1:02:03".
std::string clock_text(double seconds) {
  const auto s = static_cast<int64_t>(std::max(0.0, seconds) + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// JSON has no inf or NaN: a non-finite value is null.
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string with_ppl(double loss) {
  return fmt::format("{:.4f} (ppl {:.2f})", loss, std::exp(std::min(20.0, loss)));
}

}  // namespace

IterationLog::IterationLog(const IterationLogConfig& cfg)
    : cfg_(cfg), peak_gflops_(cfg.peak_gflops) {
  if (!cfg_.metrics_file.empty()) {
    metrics_.open(cfg_.metrics_file, std::ios::app);
    if (!metrics_) throw error("[train] --metrics-file ", cfg_.metrics_file, ": cannot open");
  }
  if (!cfg_.tensorboard.dir.empty())
    board_ = std::make_unique<tensorboard::TrainingScalars>(cfg_.tensorboard);
}

IterationLog::~IterationLog() = default;

void IterationLog::write_metrics(const IterationStats& s, int64_t consumed,
                                 const EvalLosses& eval) {
  const double gflops = s.flops / s.seconds / 1e9;
  char line[896];
  std::snprintf(line, sizeof line,
                "{\"iteration\":%lld,\"consumed_samples\":%lld,\"loss\":%s,\"lr\":%.9g,"
                "\"grad_norm\":%s,\"ms_per_iter\":%.3f,\"tokens_per_s\":%.1f,\"tflops\":%.4f,"
                "\"mfu\":%.4f,\"tokens\":%lld,\"real_tokens\":%lld,\"loss_tokens\":%lld,"
                "\"padding\":%.6f,\"tp_bytes\":%lld,\"dp_bytes\":%lld,\"pp_bytes\":%lld,"
                "\"activation_mib\":%.2f,\"loss_scale\":%.9g,\"skipped\":%s",
                static_cast<long long>(s.iteration), static_cast<long long>(consumed),
                json_number(s.loss).c_str(), static_cast<double>(s.lr),
                json_number(s.grad_norm).c_str(), s.seconds * 1e3, s.tokens_per_s, gflops / 1e3,
                gflops / (peak_gflops_ * cfg_.ranks), static_cast<long long>(s.tokens),
                static_cast<long long>(s.real_tokens), static_cast<long long>(s.loss_tokens),
                s.padding(), static_cast<long long>(s.tp_bytes), static_cast<long long>(s.dp_bytes),
                static_cast<long long>(s.pp_bytes), s.activation_mib, s.loss_scale,
                s.skipped ? "true" : "false");
  metrics_ << line;
  if (!std::isnan(eval.validation))
    metrics_ << ",\"validation_loss\":" << json_number(eval.validation);
  if (!std::isnan(eval.test)) metrics_ << ",\"test_loss\":" << json_number(eval.test);
  metrics_ << "}\n";
  metrics_.flush();
}

void IterationLog::write(const IterationStats& s, int64_t consumed, const EvalLosses& eval) {
  if (first_iteration_ < 0) first_iteration_ = s.iteration - 1;
  last_iteration_ = s.iteration;
  run_real_tokens_ += static_cast<double>(s.real_tokens);
  // A measured peak is a lower bound of the machine's: no step can beat the real one.
  peak_gflops_ = std::max(peak_gflops_, s.flops / s.seconds / 1e9 / cfg_.ranks);
  interval_.iterations += 1;
  interval_.skipped += s.skipped ? 1 : 0;
  if (!s.skipped) {
    interval_.advanced += 1;
    interval_.loss += s.loss;
  }
  interval_.seconds += s.seconds;
  interval_.real_tokens += static_cast<double>(s.real_tokens);
  interval_.flops += s.flops;

  if (metrics_.is_open()) write_metrics(s, consumed, eval);
  if (board_) board_->iteration(s, consumed);
  if (s.iteration % cfg_.log_interval == 0 || s.iteration == cfg_.train_iters)
    write_console(s, consumed);
  write_eval(s, consumed, eval);
}

void IterationLog::write_console(const IterationStats& s, int64_t consumed) {
  const Interval& in = interval_;
  const double per_iter = in.seconds / static_cast<double>(in.iterations);
  const double gflops = in.flops / in.seconds / 1e9;
  const double tokens_per_s = in.real_tokens / in.seconds;
  // Megatron's average: over the steps the optimizer took (all of them if every one overflowed).
  const double loss = in.advanced > 0 ? in.loss / static_cast<double>(in.advanced) : s.loss;
  const double elapsed = clock_.seconds();
  const double eta = elapsed / static_cast<double>(s.iteration - first_iteration_) *
                     static_cast<double>(cfg_.train_iters - s.iteration);
  const std::string norm = s.skipped ? std::string("step skipped: gradients overflowed")
                                     : fmt::format("grad norm {:.3f}", s.grad_norm);
  const std::string padding =
      cfg_.show_padding ? fmt::format(" | padding {:.1f}%", 100.0 * s.padding()) : "";
  // Megatron's fp16 log: the scale and the steps skipped since the previous line.
  const std::string scaling = cfg_.show_loss_scale ? fmt::format(" | loss scale {:g} | skipped {}",
                                                                 s.loss_scale, in.skipped)
                                                   : "";
  ASCENT_LOG_INFO(
      " iteration {:>6}/{:<6} | elapsed {} | ETA {} | consumed samples {:>9} | {:8.1f} ms/iter | "
      "lr {:.3e} | loss {:.4f} | {}{} | {:8.0f} tokens/s{} | {:.3f} TFLOP/s | MFU {:.0f}%",
      s.iteration, cfg_.train_iters, clock_text(elapsed), clock_text(eta), consumed, per_iter * 1e3,
      s.lr, loss, norm, scaling, tokens_per_s, padding, gflops / 1e3,
      100.0 * gflops / (peak_gflops_ * cfg_.ranks));
  if (board_) board_->timers(s.iteration, per_iter, gflops / 1e3 / cfg_.ranks, tokens_per_s);
  interval_ = Interval{};
}

void IterationLog::write_eval(const IterationStats& s, int64_t consumed, const EvalLosses& eval) {
  if (!std::isnan(eval.validation)) {
    ASCENT_LOG_INFO(" validation loss at iteration {}: {}", s.iteration, with_ppl(eval.validation));
    if (board_) board_->evaluation("validation", s.iteration, consumed, eval.validation);
    if (!(eval.validation >= best_validation_)) {  // NaN best: the first one
      best_validation_ = eval.validation;
      best_validation_iteration_ = s.iteration;
    }
  }
  if (!std::isnan(eval.test)) {
    ASCENT_LOG_INFO(" test loss at iteration {}: {}", s.iteration, with_ppl(eval.test));
    if (board_) board_->evaluation("test", s.iteration, consumed, eval.test);
    test_loss_ = eval.test;
  }
}

void IterationLog::summary() const {
  if (first_iteration_ < 0) {
    ASCENT_LOG_INFO(" training finished: no iteration to run (--train-iters {})", cfg_.train_iters);
    return;
  }
  const double elapsed = clock_.seconds();
  const int64_t n = last_iteration_ - first_iteration_;
  ASCENT_LOG_INFO(
      " training finished: iterations {}-{} in {} ({:.1f} ms/iter), {:.0f} tokens at {:.0f} "
      "tokens/s",
      first_iteration_ + 1, last_iteration_, clock_text(elapsed),
      elapsed / static_cast<double>(n) * 1e3, run_real_tokens_, run_real_tokens_ / elapsed);
  std::string eval = std::isnan(best_validation_)
                         ? std::string("no validation loss (no validation data or --eval-iters 0)")
                         : fmt::format("best validation loss {} at iteration {}",
                                       with_ppl(best_validation_), best_validation_iteration_);
  if (!std::isnan(test_loss_)) eval += " | test loss " + with_ppl(test_loss_);
  ASCENT_LOG_INFO(" {}", eval);
  if (board_) ASCENT_LOG_INFO(" TensorBoard events: {}", board_->path());
}

}  // namespace ascent
