// --manual-mbs: the micro-batch sizes of one data-parallel rank's step.
#include <gtest/gtest.h>

#include "support/test_dir.h"
#include "train/train_args.h"

namespace ascent {
namespace {

using testing::expect_error;

TrainArgs batches(int64_t global, int64_t micro, const std::string& manual) {
  TrainArgs a;
  a.data.global_batch_size = global;
  a.data.micro_batch_size = micro;
  a.parallel.manual_mbs = manual;
  return a;
}

TEST(ManualMbs, ListNamedConfigOrUniform) {
  EXPECT_EQ(batches(16, 2, "1,2,3,2").micro_batch_sizes(2), (std::vector<int64_t>{1, 2, 3, 2}));
  EXPECT_EQ(batches(16, 2, "").micro_batch_sizes(2), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(batches(64, 4, "example-config-1").micro_batch_sizes(1).size(), 16u);
}

TEST(ManualMbs, BadListsNameTheFlagAndItem) {
  expect_error([] { batches(16, 2, "1,x,3,2").micro_batch_sizes(2); }, {"--manual-mbs", "'x'"});
  expect_error([] { batches(16, 2, "1,2,3,").micro_batch_sizes(2); }, {"--manual-mbs", "''"});
  expect_error([] { batches(16, 2, "4,0,2,2").micro_batch_sizes(2); },
               {"--manual-mbs", "0 is not a positive integer"});
  expect_error([] { batches(16, 2, "1,2,3").micro_batch_sizes(2); },
               {"--manual-mbs", "3 micro-batches of 6 samples", "this run needs 4"});
}

}  // namespace
}  // namespace ascent
