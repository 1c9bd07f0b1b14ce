// The single-stage StepRunner (parallel/pp/step_runner.h).
#include "parallel/pp/step_runner.h"

namespace ascent::parallel::pp {
namespace {

class LocalRunner final : public StepRunner {
 public:
  void run(StageModel& model, int64_t micro_batches) override {
    for (int64_t m = 0; m < micro_batches; ++m) {
      model.forward(0, m, nullptr);
      model.backward(0, m, nullptr);
    }
    model.chunk_backward_done(0);
  }
  void run_forward(StageModel& model, int64_t micro_batches) override {
    for (int64_t m = 0; m < micro_batches; ++m) model.forward(0, m, nullptr);
  }
};

}  // namespace

std::unique_ptr<StepRunner> make_local_runner() { return std::make_unique<LocalRunner>(); }

}  // namespace ascent::parallel::pp
