// Clean stops of the training loop: a stop signal, --exit-interval and --exit-duration-in-mins
// save a checkpoint at the iteration reached and return; the resumed run continues bit for bit.
// fp16 stops after --max-skipped-steps overflowing steps in a row; a model whose state cannot fit
// in memory is refused before anything is allocated.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <functional>
#include <string>

#include "core/stop_signals.h"
#include "train/memory_check.h"
#include "train_test_util.h"

namespace ascent {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TrainArgs finalized(TrainArgs a) {
  a.finalize();
  return a;
}

std::vector<IterationStats> train(const TrainArgs& a, int64_t* reached = nullptr) {
  Trainer t(a,
            a.run.load.empty() ? model_config_from_args(a, 0) : open_checkpoint(a.run.load).config);
  std::vector<IterationStats> h = t.run();
  if (reached) *reached = t.iteration();
  return h;
}

// The stats of iterations the resumed run did equal the uninterrupted run's, bit for bit.
void expect_same(const std::vector<IterationStats>& resumed,
                 const std::vector<IterationStats>& full) {
  ASSERT_FALSE(resumed.empty());
  const size_t first = static_cast<size_t>(resumed.front().iteration - 1);
  ASSERT_EQ(first + resumed.size(), full.size());
  for (size_t i = 0; i < resumed.size(); ++i) {
    const IterationStats &r = resumed[i], &u = full[first + i];
    SCOPED_TRACE("iteration " + std::to_string(u.iteration));
    EXPECT_EQ(r.iteration, u.iteration);
    EXPECT_EQ(r.loss, u.loss);
    EXPECT_EQ(r.grad_norm, u.grad_norm);
    EXPECT_EQ(r.lr, u.lr);
  }
}

class CleanStop : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    args_ = testing::tiny_args(testing::random_dataset(dir_, 200, 512, 5));
    args_.run.train_iters = 8;
    args_.lr.decay_iters = 8;
    args_.run.eval_iters = 0;
    StopSignals::clear();
  }
  void TearDown() override { StopSignals::clear(); }
  std::string dir_;
  TrainArgs args_;
};

TEST_F(CleanStop, ExitIntervalSavesAndTheResumedRunContinuesBitIdentically) {
  const std::vector<IterationStats> full = train(finalized(args_));
  TrainArgs first = args_;
  first.run.exit_interval = 3;
  first.run.save = dir_ + "/ckpt";
  int64_t reached = 0;
  EXPECT_EQ(train(finalized(first), &reached).size(), 3u);
  EXPECT_EQ(reached, 3);
  EXPECT_EQ(open_checkpoint(first.run.save).state.iteration, 3);
  TrainArgs second = args_;
  second.run.load = first.run.save;
  expect_same(train(finalized(second)), full);
}

TEST_F(CleanStop, StopSignalFinishesTheIterationSavesAndReturns) {
  args_.run.save = dir_ + "/ckpt";
  args_.run.save_interval = 2;  // the signal's save comes on top of the interval's
  const TrainArgs a = finalized(args_);
  const StopSignals stop("testing");
  Trainer t(a, model_config_from_args(a, 0));
  ASSERT_EQ(raise(SIGTERM), 0);  // as if it came during the first iteration
  EXPECT_EQ(t.run().size(), 1u);
  EXPECT_EQ(t.iteration(), 1);
  EXPECT_EQ(open_checkpoint(a.run.save).state.iteration, 1);
}

TEST_F(CleanStop, WithoutTheSignalHandlerFlagASignalIsNotActedOn) {
  args_.run.exit_signal_handler = false;
  args_.run.train_iters = 3;
  const StopSignals stop("testing");
  ASSERT_EQ(raise(SIGUSR1), 0);
  int64_t reached = 0;
  train(finalized(args_), &reached);
  EXPECT_EQ(reached, 3);
}

TEST_F(CleanStop, ExitDurationStopsAfterTheFirstIterationPastIt) {
  args_.run.exit_duration_in_mins = 1e-9;
  args_.run.save = dir_ + "/ckpt";
  int64_t reached = 0;
  train(finalized(args_), &reached);
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(open_checkpoint(args_.run.save).state.iteration, 1);
}

TEST_F(CleanStop, WithoutSaveTheRunStillStops) {
  args_.run.exit_interval = 2;
  int64_t reached = 0;
  train(finalized(args_), &reached);
  EXPECT_EQ(reached, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/ckpt"));
}

TEST_F(CleanStop, Fp16StopsAfterMaxSkippedStepsInARow) {
  args_.precision.fp16 = true;
  args_.loss_scale.static_scale = 1e30;  // every step's f16 gradients overflow
  args_.loss_scale.max_skipped_steps = 4;
  args_.run.train_iters = 50;
  const std::string msg = error_of([&] { train(finalized(args_)); });
  EXPECT_NE(msg.find("[train] iteration 4: 4 steps in a row overflowed in fp16 and were skipped "
                     "(--max-skipped-steps 4)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("--bf16"), std::string::npos) << msg;
}

TEST_F(CleanStop, ModelStateLargerThanMemoryIsRefusedBeforeAllocating) {
  args_.model.preset = "llama2-70b";  // about 1 TiB of f32 weights, gradients and Adam state
  const TrainArgs a = finalized(args_);
  const std::string msg = error_of([&] { Trainer t(a, model_config_from_args(a, 0)); });
  EXPECT_NE(msg.find("[train] the model state needs 1.00 TiB"), std::string::npos) << msg;
  EXPECT_NE(msg.find("is available (MemAvailable"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--skip-memory-check"), std::string::npos) << msg;
}

TEST(MemoryCheck, ComparesTheMachineTotalWithWhatIsAvailable) {
  ModelStateNeed need;
  need.bytes = int64_t{3} << 30;
  need.ranks = 2;
  need.detail = "x";
  EXPECT_NO_THROW(check_model_state_fits(need, std::nullopt));
  EXPECT_NO_THROW(check_model_state_fits(need, AvailableMemory{int64_t{3} << 30, "test"}));
  const std::string msg = error_of([&] {
    check_model_state_fits(need, AvailableMemory{int64_t{2} << 30, "test"});
  });
  EXPECT_NE(msg.find("needs 3.00 GiB for the 2 ranks on this machine"), std::string::npos) << msg;
  EXPECT_NE(msg.find("only 2.00 GiB is available (test)"), std::string::npos) << msg;
}

TEST(MemoryCheck, CountsTheLayoutsShard) {
  TrainArgs a;
  a.model.preset = "tiny-gqa";
  a.data.data_path = {"unused"};
  a.data.seq_length = 32;
  a.finalize();
  const ModelConfig cfg = model_config_from_args(a, 0);
  const ModelStateNeed f32 = model_state_need(a, cfg, ShardSpec{}, nullptr);
  EXPECT_GE(f32.params, cfg.num_params());  // vocabulary padding included
  EXPECT_EQ(f32.bytes, 16 * f32.params);    // master + grads + two Adam moments
  a.precision.bf16 = true;
  EXPECT_EQ(model_state_need(a, cfg, ShardSpec{}, nullptr).bytes, 18 * f32.params);
}

}  // namespace
}  // namespace ascent
