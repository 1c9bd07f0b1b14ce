// The recompute flags (Megatron's names, and --checkpoint-activations) resolve to one policy, and
// inconsistent combinations are refused naming the flag.
#include <gtest/gtest.h>

#include "support/test_dir.h"
#include "train/train_args.h"

namespace ascent {
namespace {

using testing::expect_error;

TrainArgs args(const std::string& granularity, const std::string& method, int64_t layers) {
  TrainArgs a;
  a.data.data_path = {"corpus_text_document"};
  a.recompute.granularity = granularity;
  a.recompute.method = method;
  a.recompute.num_layers = layers;
  return a;
}

RecomputePolicy resolved(TrainArgs a) {
  a.finalize();
  return a.recompute_policy();
}

TEST(RecomputeFlags, Resolve) {
  EXPECT_FALSE(resolved(args("", "", 0)).full);
  EXPECT_FALSE(resolved(args("selective", "", 0)).full);
  RecomputePolicy p = resolved(args("full", "", 0));
  EXPECT_TRUE(p.full);
  EXPECT_EQ(p.method, RecomputeMethod::kUniform);
  EXPECT_EQ(p.num_layers, 1);
  p = resolved(args("full", "block", 3));
  EXPECT_EQ(p.method, RecomputeMethod::kBlock);
  EXPECT_EQ(p.num_layers, 3);

  TrainArgs legacy = args("", "", 0);
  legacy.recompute.checkpoint_activations = true;
  legacy.recompute.checkpoint_num_layers = 2;
  p = resolved(legacy);
  EXPECT_TRUE(p.full);
  EXPECT_EQ(p.method, RecomputeMethod::kUniform);
  EXPECT_EQ(p.num_layers, 2);
  legacy.finalize();
  EXPECT_EQ(legacy.to_json()["recompute-granularity"], "full");
}

TEST(RecomputeFlags, InconsistentCombinationsNameTheFlag) {
  expect_error([] { resolved(args("everything", "", 0)); }, {"--recompute-granularity"});
  expect_error([] { resolved(args("", "uniform", 0)); }, {"--recompute-method", "full"});
  expect_error([] { resolved(args("selective", "", 2)); }, {"--recompute-num-layers", "full"});
  expect_error([] { resolved(args("full", "sometimes", 0)); }, {"--recompute-method", "sometimes"});
  expect_error([] { resolved(args("full", "", -1)); }, {"--recompute-num-layers"});
  TrainArgs a = args("selective", "", 0);
  a.recompute.checkpoint_activations = true;
  expect_error([&] { resolved(a); }, {"--checkpoint-activations", "selective"});
  TrainArgs b = args("", "", 0);
  b.recompute.checkpoint_num_layers = 2;
  expect_error([&] { resolved(b); }, {"--checkpoint-num-layers", "--checkpoint-activations"});
}

}  // namespace
}  // namespace ascent
