#include "train/iteration_log.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/log.h"

namespace ascent {

IterationLog::IterationLog(const IterationLogConfig& cfg) : cfg_(cfg) {
  if (cfg_.metrics_file.empty()) return;
  metrics_.open(cfg_.metrics_file, std::ios::app);
  if (!metrics_) throw error("[train] --metrics-file ", cfg_.metrics_file, ": cannot open");
}

void IterationLog::write_metrics(const IterationStats& s, int64_t consumed) {
  const double gflops = s.flops / s.seconds / 1e9;
  // An overflowing fp16 step has no gradient norm: JSON has no inf or NaN, so it is null.
  char norm[32] = "null", loss[32] = "null";
  if (std::isfinite(s.grad_norm)) std::snprintf(norm, sizeof norm, "%.9g", s.grad_norm);
  if (std::isfinite(s.loss)) std::snprintf(loss, sizeof loss, "%.9g", s.loss);
  char line[896];
  std::snprintf(line, sizeof line,
                "{\"iteration\":%lld,\"consumed_samples\":%lld,\"loss\":%s,\"lr\":%.9g,"
                "\"grad_norm\":%s,\"ms_per_iter\":%.3f,\"tokens_per_s\":%.1f,\"tflops\":%.4f,"
                "\"mfu\":%.4f,\"tokens\":%lld,\"real_tokens\":%lld,\"loss_tokens\":%lld,"
                "\"padding\":%.6f,\"tp_bytes\":%lld,\"dp_bytes\":%lld,\"pp_bytes\":%lld,"
                "\"activation_mib\":%.2f,\"loss_scale\":%.9g,\"skipped\":%s}\n",
                static_cast<long long>(s.iteration), static_cast<long long>(consumed), loss,
                static_cast<double>(s.lr), norm, s.seconds * 1e3, s.tokens_per_s, gflops / 1e3,
                gflops / cfg_.peak_gflops, static_cast<long long>(s.tokens),
                static_cast<long long>(s.real_tokens), static_cast<long long>(s.loss_tokens),
                s.padding(), static_cast<long long>(s.tp_bytes), static_cast<long long>(s.dp_bytes),
                static_cast<long long>(s.pp_bytes), s.activation_mib, s.loss_scale,
                s.skipped ? "true" : "false");
  metrics_ << line;
  metrics_.flush();
}

void IterationLog::write(const IterationStats& s, int64_t consumed) {
  skipped_since_log_ += s.skipped ? 1 : 0;
  if (metrics_.is_open()) write_metrics(s, consumed);
  if (s.iteration % cfg_.log_interval != 0 && s.iteration != cfg_.train_iters) return;
  const double gflops = s.flops / s.seconds / 1e9;
  const std::string padding =
      cfg_.show_padding ? fmt::format(" | padding {:.1f}%", 100.0 * s.padding()) : "";
  // Megatron's fp16 log: the scale and the steps skipped since the previous line.
  const std::string scaling = cfg_.show_loss_scale ? fmt::format(" | loss scale {:g} | skipped {}",
                                                                 s.loss_scale, skipped_since_log_)
                                                   : "";
  skipped_since_log_ = 0;
  ASCENT_LOG_INFO(
      " iteration {:>6}/{:<6} | consumed samples {:>9} | {:8.1f} ms/iter | lr {:.3e} | loss "
      "{:.4f} | grad norm {:.3f}{} | {:8.0f} tokens/s{} | {:.3f} TFLOP/s | MFU {:.0f}%",
      s.iteration, cfg_.train_iters, consumed, s.seconds * 1e3, s.lr, s.loss, s.grad_norm, scaling,
      s.tokens_per_s, padding, gflops / 1e3, 100.0 * gflops / (cfg_.peak_gflops * cfg_.ranks));
}

}  // namespace ascent
