#pragma once
// What `ascent train --tensorboard-dir` writes, under Megatron-LM's tags (training.py's
// training_log and evaluate_and_print_results), so dashboards built for Megatron runs read ours:
//   every --tensorboard-log-interval iterations: "lm loss", "learning-rate", "grad-norm" (not
//     for a step skipped on fp16 overflow), "loss-scale" (--fp16), each also "<tag> vs samples"
//     (step = consumed samples); with --log-memory-to-tensorboard "mem-activation-max-bytes"
//     (activation high-water mark) and "mem-max-resident-bytes" (the process's peak RSS);
//   every --log-interval iterations, with --log-timers-to-tensorboard: "iteration-time" (s),
//     "throughput" (model TFLOP/s per rank) and "tokens-per-sec", means over the interval;
//   after each evaluation: "lm loss validation" (+ " vs samples"; " ppl" with
//     --log-validation-ppl-to-tensorboard) and, at the end, "lm loss test" (Megatron writes the
//     test loss under the validation tag; a tag of its own keeps the two curves apart).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "train/tensorboard/event_file.h"

namespace ascent {
struct IterationStats;
}

namespace ascent::tensorboard {

struct BoardConfig {
  std::string dir;  // empty: no TensorBoard output
  int64_t log_interval = 1;
  bool loss_scale = false;  // --fp16
  bool timers = false, memory = false, validation_ppl = false;
};

class TrainingScalars {
 public:
  // Throws ascent::Error "[train] --tensorboard-dir ..." when the file cannot be created.
  explicit TrainingScalars(const BoardConfig& cfg);
  // consumed: samples consumed after the iteration.
  void iteration(const IterationStats& s, int64_t consumed);
  // Means over the iterations since the previous console line.
  void timers(int64_t iteration, double seconds_per_iteration, double tflops_per_rank,
              double tokens_per_s);
  // split: "validation" or "test".
  void evaluation(std::string_view split, int64_t iteration, int64_t consumed, double loss);
  void flush() { file_.flush(); }
  const std::string& path() const { return file_.path(); }

 private:
  void both(const std::string& tag, double value, int64_t iteration, int64_t consumed);
  BoardConfig cfg_;
  EventFile file_;
};

}  // namespace ascent::tensorboard
