#pragma once
// What one training iteration did (IterationStats), and where it is reported: one JSON line per
// iteration in --metrics-file (machine-readable), TensorBoard scalars in --tensorboard-dir, and a
// console line every --log-interval iterations (for people), in Megatron's manner: the loss,
// time and throughput are means over the interval (the loss over the steps not skipped), the
// learning rate and gradient norm the last step's. The end of a run prints a summary.
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <string>

#include "core/timer.h"
#include "train/tensorboard/training_scalars.h"

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

// Losses evaluated right after an iteration; NaN: not evaluated (or the split has no data).
struct EvalLosses {
  double validation = std::numeric_limits<double>::quiet_NaN();
  double test = std::numeric_limits<double>::quiet_NaN();
};

struct IterationLogConfig {
  std::string metrics_file;              // empty: no metrics file (and only rank 0 writes one)
  tensorboard::BoardConfig tensorboard;  // dir empty: none (and only rank 0 writes)
  int64_t train_iters = 0, log_interval = 1;
  bool show_padding = false;     // instruction data
  bool show_loss_scale = false;  // --fp16
  int ranks = 1;
  // One rank's f32 peak measured at start-up (for the MFU). A busy machine can measure it low;
  // the peak used is the higher of it and the fastest rate a step reached, so MFU <= 100%.
  double peak_gflops = 0;
};

class IterationLog {
 public:
  // Throws ascent::Error "[train] --metrics-file ..." / "--tensorboard-dir ..." when the file
  // cannot be opened. The elapsed time counts from here.
  explicit IterationLog(const IterationLogConfig& cfg);
  ~IterationLog();
  // consumed: samples consumed so far (the data cursor); eval: losses evaluated after this
  // iteration (printed after its console line).
  void write(const IterationStats& s, int64_t consumed, const EvalLosses& eval = {});
  // The end of the run: wall time, iterations, tokens and tokens/s of this run, the best
  // validation loss and the test loss (when evaluated).
  void summary() const;
  // The peak the MFU is computed against (see IterationLogConfig::peak_gflops).
  double peak_gflops() const { return peak_gflops_; }

 private:
  // Sums over the iterations since the previous console line.
  struct Interval {
    int64_t iterations = 0, advanced = 0, skipped = 0;
    double loss = 0, seconds = 0, real_tokens = 0, flops = 0;
  };
  void write_metrics(const IterationStats& s, int64_t consumed, const EvalLosses& eval);
  void write_console(const IterationStats& s, int64_t consumed);
  void write_eval(const IterationStats& s, int64_t consumed, const EvalLosses& eval);
  IterationLogConfig cfg_;
  std::ofstream metrics_;
  std::unique_ptr<tensorboard::TrainingScalars> board_;
  Timer clock_;
  double peak_gflops_ = 0;
  Interval interval_;
  int64_t first_iteration_ = -1;  // the iteration this run started after
  int64_t last_iteration_ = 0;
  double run_real_tokens_ = 0;
  double best_validation_ = std::numeric_limits<double>::quiet_NaN();
  int64_t best_validation_iteration_ = 0;
  double test_loss_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace ascent
