#include "train/tensorboard/training_scalars.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "train/iteration_log.h"

namespace ascent::tensorboard {
namespace {

// The process's peak resident set (VmHWM of /proc/self/status), in bytes; 0 where unknown.
double max_resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      status >> kib;
      return kib * 1024.0;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0;
}

}  // namespace

TrainingScalars::TrainingScalars(const BoardConfig& cfg) : cfg_(cfg), file_(cfg.dir) {}

void TrainingScalars::both(const std::string& tag, double value, int64_t iteration,
                           int64_t consumed) {
  if (!std::isfinite(value)) return;
  file_.scalar(tag, value, iteration);
  file_.scalar(tag + " vs samples", value, consumed);
}

void TrainingScalars::iteration(const IterationStats& s, int64_t consumed) {
  if (s.iteration % cfg_.log_interval != 0) return;
  both("learning-rate", s.lr, s.iteration, consumed);
  both("lm loss", s.loss, s.iteration, consumed);
  if (cfg_.loss_scale) both("loss-scale", s.loss_scale, s.iteration, consumed);
  if (!s.skipped) both("grad-norm", s.grad_norm, s.iteration, consumed);
  if (cfg_.memory) {
    file_.scalar("mem-activation-max-bytes", s.activation_mib * 1048576.0, s.iteration);
    file_.scalar("mem-max-resident-bytes", max_resident_bytes(), s.iteration);
  }
  file_.flush();
}

void TrainingScalars::timers(int64_t iteration, double seconds_per_iteration,
                             double tflops_per_rank, double tokens_per_s) {
  if (!cfg_.timers) return;
  file_.scalar("iteration-time", seconds_per_iteration, iteration);
  file_.scalar("throughput", tflops_per_rank, iteration);
  file_.scalar("tokens-per-sec", tokens_per_s, iteration);
  file_.flush();
}

void TrainingScalars::evaluation(std::string_view split, int64_t iteration, int64_t consumed,
                                 double loss) {
  const std::string tag = "lm loss " + std::string(split);
  both(tag, loss, iteration, consumed);
  if (cfg_.validation_ppl && std::isfinite(loss))
    both(tag + " ppl", std::exp(std::min(20.0, loss)), iteration, consumed);
  file_.flush();
}

}  // namespace ascent::tensorboard
