#pragma once
// What one training iteration did (IterationStats), and where it is reported: one JSON line per
// iteration in --metrics-file (machine-readable), a console line every --log-interval iterations
// (for people), in Megatron's format.
#include <cstdint>
#include <fstream>
#include <string>

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

struct IterationLogConfig {
  std::string metrics_file;  // empty: no metrics file (and only rank 0 writes one)
  int64_t train_iters = 0, log_interval = 1;
  bool show_padding = false;     // instruction data
  bool show_loss_scale = false;  // --fp16
  int ranks = 1;
  double peak_gflops = 0;  // one rank's measured f32 peak (for the MFU)
};

class IterationLog {
 public:
  // Throws ascent::Error "[train] --metrics-file ..." when the file cannot be opened.
  explicit IterationLog(const IterationLogConfig& cfg);
  // consumed: samples consumed so far (the data cursor).
  void write(const IterationStats& s, int64_t consumed);

 private:
  void write_metrics(const IterationStats& s, int64_t consumed);
  IterationLogConfig cfg_;
  std::ofstream metrics_;
  int64_t skipped_since_log_ = 0;
};

}  // namespace ascent
