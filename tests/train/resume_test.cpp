// Resume is bit-identical: 20 iterations in one run against 10 iterations, a checkpoint, and a
// resumed run to 20 (same --lr-decay-iters). Losses and gradient norms of iterations 11-20 must
// be equal bit for bit, in f32 and in bf16.
#include <gtest/gtest.h>

#include "train_test_util.h"

namespace ascent {
namespace {

class Resume : public ::testing::TestWithParam<bool> {};

TEST_P(Resume, ContinuedRunIsBitIdentical) {
  const bool bf16 = GetParam();
  const std::string dir = testing::scratch_dir(bf16 ? "resume_bf16" : "resume_f32");
  const std::string prefix = testing::random_dataset(dir, 200, 512, 5);

  TrainArgs full = testing::tiny_args(prefix);
  full.bf16 = bf16;
  full.finalize();
  std::vector<IterationStats> uninterrupted;
  {
    Trainer t(full, model_config_from_args(full, 0));
    uninterrupted = t.run();
  }

  TrainArgs first = full;
  first.train_iters = 10;
  first.save = dir + "/ckpt";
  {
    Trainer t(first, model_config_from_args(first, 0));
    t.run();
  }
  TrainArgs second = full;
  second.load = dir + "/ckpt";
  std::vector<IterationStats> resumed;
  {
    Trainer t(second, open_checkpoint(second.load).config);
    EXPECT_EQ(t.iteration(), 10);
    resumed = t.run();
  }
  ASSERT_EQ(uninterrupted.size(), 20u);
  ASSERT_EQ(resumed.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(resumed[i].iteration, uninterrupted[10 + i].iteration);
    EXPECT_EQ(resumed[i].loss, uninterrupted[10 + i].loss) << "iteration " << 11 + i;
    EXPECT_EQ(resumed[i].grad_norm, uninterrupted[10 + i].grad_norm) << "iteration " << 11 + i;
    EXPECT_EQ(resumed[i].lr, uninterrupted[10 + i].lr);
  }
  EXPECT_LT(uninterrupted.back().loss, uninterrupted.front().loss);
}

INSTANTIATE_TEST_SUITE_P(Precision, Resume, ::testing::Values(false, true),
                         [](const auto& i) { return i.param ? "bf16" : "f32"; });

}  // namespace
}  // namespace ascent
