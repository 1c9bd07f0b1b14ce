#include "parallel/memory_report.h"

#include <gtest/gtest.h>

namespace ascent::parallel {
namespace {

MemoryInputs inputs(int64_t params, DType compute, int dp, int rank, int stage) {
  MemoryInputs in;
  in.params = params;
  in.compute_dtype = compute;
  in.dp_size = dp;
  in.dp_rank = rank;
  in.zero_stage = stage;
  return in;
}

TEST(MemoryReport, PlainDataParallelF32) {
  // 1000 params, f32, AdamW: 4000 master + 4000 grads + 8000 moments.
  const MemoryReport r = memory_report(inputs(1000, DType::F32, 4, 0, 0));
  EXPECT_EQ(r.compute_bytes, 0);
  EXPECT_EQ(r.master_bytes, 4000);
  EXPECT_EQ(r.grad_bytes, 4000);
  EXPECT_EQ(r.optimizer_bytes, 8000);
  EXPECT_EQ(r.total(), 16000);
}

TEST(MemoryReport, ZeroStagesBf16) {
  // 1000 params over dp 4 in units of 32: 8 units each, shards 256, 256, 256, 232.
  MemoryReport r = memory_report(inputs(1000, DType::BF16, 4, 0, 1));
  EXPECT_EQ(r.shard, 256);
  EXPECT_EQ(r.compute_bytes, 2000);
  EXPECT_EQ(r.master_bytes, 4000);  // whole below stage 3 (norms and biases are read from it)
  EXPECT_EQ(r.grad_bytes, 4000);
  EXPECT_EQ(r.optimizer_bytes, 2048);
  EXPECT_EQ(r.total(), 12048);

  r = memory_report(inputs(1000, DType::BF16, 4, 3, 2));
  EXPECT_EQ(r.shard, 232);
  EXPECT_EQ(r.compute_bytes, 2000);
  EXPECT_EQ(r.master_bytes, 4000);
  EXPECT_EQ(r.grad_bytes, 928);
  EXPECT_EQ(r.optimizer_bytes, 1856);

  MemoryInputs in = inputs(1000, DType::BF16, 4, 0, 3);
  in.gather_max = 300;
  r = memory_report(in);
  EXPECT_EQ(r.compute_bytes, 512);
  EXPECT_EQ(r.master_bytes, 1024);
  EXPECT_EQ(r.grad_bytes, 1024);
  EXPECT_EQ(r.optimizer_bytes, 2048);
  EXPECT_EQ(r.scratch_bytes, 2 * 300 * 4);
  EXPECT_EQ(r.total(), 512 + 1024 + 1024 + 2048 + 2400);
}

TEST(MemoryReport, F32Stage1KeepsTheFullMasterAndSgdHasOneState) {
  MemoryInputs in = inputs(1000, DType::F32, 4, 3, 1);
  in.optimizer_states = 1;
  const MemoryReport r = memory_report(in);
  EXPECT_EQ(r.master_bytes, 4000);  // the master is the compute copy in f32
  EXPECT_EQ(r.grad_bytes, 4000);
  EXPECT_EQ(r.optimizer_bytes, 4 * 232);
  EXPECT_NE(r.to_string().find("model state per rank"), std::string::npos);
}

TEST(MemoryReport, Llama7bOnEightDataParallelRanks) {
  // 6,738,415,616 params; units of 32: 210,575,488 units / 8 = 26,321,936 each -> 842,301,952.
  const MemoryReport r = memory_report(inputs(6738415616, DType::BF16, 8, 7, 1));
  EXPECT_EQ(r.shard, 842301952);
  EXPECT_EQ(r.compute_bytes, int64_t{2} * 6738415616);
  EXPECT_EQ(r.master_bytes, int64_t{4} * 6738415616);
  EXPECT_EQ(r.grad_bytes, int64_t{4} * 6738415616);
  EXPECT_EQ(r.optimizer_bytes, int64_t{8} * 842301952);
}

}  // namespace
}  // namespace ascent::parallel
