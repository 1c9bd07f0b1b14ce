#include "parallel/pp/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"

// Logic only (no MPI): every rank runs the same checks.
namespace ascent::parallel::pp {
namespace {

constexpr Op F = Op::Forward;
constexpr Op B = Op::Backward;

using Schedules = std::vector<std::vector<Action>>;  // [pp rank] -> action list

Schedules all_ranks(int pp_size, int chunks, int64_t m, bool interleave) {
  Schedules s;
  for (int r = 0; r < pp_size; ++r)
    s.push_back(interleave ? interleaved(pp_size, r, chunks, m) : one_f_one_b(pp_size, r, m));
  return s;
}

// Each (chunk, micro-batch) once as Forward and once as Backward, forward first, and each
// chunk's forwards (and backwards) in increasing micro-batch order (PipelineRunner's tags rely
// on it).
::testing::AssertionResult well_formed(const std::vector<Action>& actions, int chunks, int64_t m) {
  std::vector<int> fwd(chunks * m, 0), bwd(chunks * m, 0);
  std::vector<int64_t> last_fwd(chunks, -1), last_bwd(chunks, -1);
  for (const Action& a : actions) {
    if (a.chunk < 0 || a.chunk >= chunks || a.micro_batch < 0 || a.micro_batch >= m)
      return ::testing::AssertionFailure()
             << "out of range: chunk " << a.chunk << " mb " << a.micro_batch;
    const int64_t k = a.chunk * m + a.micro_batch;
    std::vector<int64_t>& last = a.op == F ? last_fwd : last_bwd;
    if (a.micro_batch <= last[a.chunk])
      return ::testing::AssertionFailure()
             << "chunk " << a.chunk << " visits mb " << a.micro_batch << " after " << last[a.chunk];
    last[a.chunk] = a.micro_batch;
    if (a.op == F) {
      ++fwd[k];
    } else {
      if (fwd[k] != 1)
        return ::testing::AssertionFailure()
               << "backward before forward: chunk " << a.chunk << " mb " << a.micro_batch;
      ++bwd[k];
    }
  }
  for (int64_t k = 0; k < chunks * m; ++k)
    if (fwd[k] != 1 || bwd[k] != 1)
      return ::testing::AssertionFailure() << "chunk " << k / m << " mb " << k % m << ": " << fwd[k]
                                           << " forwards, " << bwd[k] << " backwards";
  return ::testing::AssertionSuccess();
}

// Runs all ranks' lists under a blocking-receive model: a rank executes its next action once its
// input is there (forward of virtual stage v on m needs v-1's forward of m; backward of v on m
// needs v+1's backward of m); sends never block. Succeeds when every list runs to its end.
::testing::AssertionResult runs_to_completion(const Schedules& s, int chunks, int64_t m) {
  const int pp_size = static_cast<int>(s.size());
  const int stages = pp_size * chunks;
  std::vector<char> fwd_done(stages * m, 0), bwd_done(stages * m, 0);
  std::vector<size_t> pos(pp_size, 0);
  bool progress = true;
  while (progress) {
    progress = false;
    for (int r = 0; r < pp_size; ++r) {
      while (pos[r] < s[r].size()) {
        const Action& a = s[r][pos[r]];
        const int v = a.chunk * pp_size + r;
        if (a.op == F) {
          if (v > 0 && !fwd_done[(v - 1) * m + a.micro_batch]) break;
          fwd_done[v * m + a.micro_batch] = 1;
        } else {
          if (!fwd_done[v * m + a.micro_batch]) break;
          if (v < stages - 1 && !bwd_done[(v + 1) * m + a.micro_batch]) break;
          bwd_done[v * m + a.micro_batch] = 1;
        }
        ++pos[r];
        progress = true;
      }
    }
  }
  for (int r = 0; r < pp_size; ++r)
    if (pos[r] != s[r].size()) {
      const Action& a = s[r][pos[r]];
      return ::testing::AssertionFailure()
             << "deadlock: rank " << r << " stuck at action " << pos[r] << " ("
             << (a.op == F ? "F" : "B") << " chunk " << a.chunk << " mb " << a.micro_batch << ")";
    }
  return ::testing::AssertionSuccess();
}

TEST(PipelineSchedule, OneFOneBIsCompleteDeadlockFreeAndBounded) {
  for (int pp = 1; pp <= 8; ++pp)
    for (int64_t m = 1; m <= 24; ++m) {
      SCOPED_TRACE("pp " + std::to_string(pp) + " M " + std::to_string(m));
      const Schedules s = all_ranks(pp, 1, m, false);
      for (int r = 0; r < pp; ++r) {
        ASSERT_EQ(s[r].size(), static_cast<size_t>(2 * m));
        EXPECT_TRUE(well_formed(s[r], 1, m)) << "rank " << r;
        EXPECT_EQ(max_in_flight(s[r]), std::min<int64_t>(pp - r, m)) << "rank " << r;
      }
      EXPECT_TRUE(runs_to_completion(s, 1, m));
    }
}

// Megatron-LM's warm-up count, written out independently of the implementation.
int64_t megatron_warmup(int pp, int rank, int chunks, int64_t m) {
  if (m == pp) return m * chunks;
  return std::min<int64_t>((pp - rank - 1) * 2 + (chunks - 1) * pp, m * chunks);
}

TEST(PipelineSchedule, InterleavedIsCompleteDeadlockFreeAndBounded) {
  for (int pp = 1; pp <= 8; ++pp)
    for (int chunks = 1; chunks <= 4; ++chunks)
      for (int64_t m = pp; m <= 24; m += pp) {
        SCOPED_TRACE("pp " + std::to_string(pp) + " chunks " + std::to_string(chunks) + " M " +
                     std::to_string(m));
        const Schedules s = all_ranks(pp, chunks, m, true);
        for (int r = 0; r < pp; ++r) {
          ASSERT_EQ(s[r].size(), static_cast<size_t>(2 * m * chunks));
          EXPECT_TRUE(well_formed(s[r], chunks, m)) << "rank " << r;
          const int64_t warmup = megatron_warmup(pp, r, chunks, m);
          EXPECT_EQ(interleaved_warmup(pp, r, chunks, m), warmup);
          // The warm-up forwards come first, then the first backward.
          for (int64_t k = 0; k < warmup; ++k) ASSERT_EQ(s[r][k].op, F) << "rank " << r;
          if (warmup < m * chunks) {
            EXPECT_EQ(s[r][warmup + 1].op, B) << "rank " << r;
          }
          EXPECT_EQ(max_in_flight(s[r]), std::min(warmup + 1, m * chunks)) << "rank " << r;
        }
        EXPECT_TRUE(runs_to_completion(s, chunks, m));
      }
}

// The forwards visit (chunk, micro-batch) in the same order on every rank: groups of pp
// micro-batches through chunk 0, 1, ...; the backwards the same with the chunks reversed.
TEST(PipelineSchedule, InterleavedOrderIsMegatrons) {
  const int pp = 3, chunks = 2;
  const int64_t m = 6;
  std::vector<Action> fwd_expected, bwd_expected;
  for (int64_t g = 0; g < m / pp; ++g)
    for (int c = 0; c < chunks; ++c)
      for (int j = 0; j < pp; ++j) {
        fwd_expected.push_back({F, c, g * pp + j});
        bwd_expected.push_back({B, chunks - 1 - c, g * pp + j});
      }
  for (int r = 0; r < pp; ++r) {
    std::vector<Action> fwd, bwd;
    for (const Action& a : interleaved(pp, r, chunks, m)) (a.op == F ? fwd : bwd).push_back(a);
    EXPECT_EQ(fwd, fwd_expected) << "rank " << r;
    EXPECT_EQ(bwd, bwd_expected) << "rank " << r;
  }
}

// Hand-derived from Megatron-LM's forward_backward_pipelining_without_interleaving.
TEST(PipelineSchedule, OneFOneBSmallCases) {
  // pp 4, rank 1, M 5: warm-up 2, steady 3, cool-down 2.
  EXPECT_EQ(one_f_one_b(4, 1, 5), (std::vector<Action>{{F, 0, 0},
                                                       {F, 0, 1},
                                                       {F, 0, 2},
                                                       {B, 0, 0},
                                                       {F, 0, 3},
                                                       {B, 0, 1},
                                                       {F, 0, 4},
                                                       {B, 0, 2},
                                                       {B, 0, 3},
                                                       {B, 0, 4}}));
  // Last stage: no warm-up.
  EXPECT_EQ(one_f_one_b(4, 3, 2),
            (std::vector<Action>{{F, 0, 0}, {B, 0, 0}, {F, 0, 1}, {B, 0, 1}}));
  // Warm-up capped at M: all forwards, then all backwards.
  EXPECT_EQ(one_f_one_b(4, 0, 2),
            (std::vector<Action>{{F, 0, 0}, {F, 0, 1}, {B, 0, 0}, {B, 0, 1}}));
  // One stage: forward then backward per micro-batch.
  EXPECT_EQ(one_f_one_b(1, 0, 2),
            (std::vector<Action>{{F, 0, 0}, {B, 0, 0}, {F, 0, 1}, {B, 0, 1}}));
}

// Hand-derived from Megatron-LM's forward_backward_pipelining_with_interleaving.
TEST(PipelineSchedule, InterleavedSmallCases) {
  // pp 2, chunks 2, M 4. Forward order (c, m): (0,0) (0,1) (1,0) (1,1) (0,2) (0,3) (1,2) (1,3);
  // backward order: (1,0) (1,1) (0,0) (0,1) (1,2) (1,3) (0,2) (0,3).
  // Rank 0: warm-up (2-0-1)*2 + (2-1)*2 = 4.
  EXPECT_EQ(interleaved(2, 0, 2, 4), (std::vector<Action>{{F, 0, 0},
                                                          {F, 0, 1},
                                                          {F, 1, 0},
                                                          {F, 1, 1},
                                                          {F, 0, 2},
                                                          {B, 1, 0},
                                                          {F, 0, 3},
                                                          {B, 1, 1},
                                                          {F, 1, 2},
                                                          {B, 0, 0},
                                                          {F, 1, 3},
                                                          {B, 0, 1},
                                                          {B, 1, 2},
                                                          {B, 1, 3},
                                                          {B, 0, 2},
                                                          {B, 0, 3}}));
  // Rank 1: warm-up (2-1-1)*2 + (2-1)*2 = 2.
  EXPECT_EQ(interleaved(2, 1, 2, 4), (std::vector<Action>{{F, 0, 0},
                                                          {F, 0, 1},
                                                          {F, 1, 0},
                                                          {B, 1, 0},
                                                          {F, 1, 1},
                                                          {B, 1, 1},
                                                          {F, 0, 2},
                                                          {B, 0, 0},
                                                          {F, 0, 3},
                                                          {B, 0, 1},
                                                          {F, 1, 2},
                                                          {B, 1, 2},
                                                          {F, 1, 3},
                                                          {B, 1, 3},
                                                          {B, 0, 2},
                                                          {B, 0, 3}}));
  // M == pp: Megatron runs every forward first.
  EXPECT_EQ(
      interleaved(2, 1, 2, 2),
      (std::vector<Action>{
          {F, 0, 0}, {F, 0, 1}, {F, 1, 0}, {F, 1, 1}, {B, 1, 0}, {B, 1, 1}, {B, 0, 0}, {B, 0, 1}}));
  EXPECT_EQ(max_in_flight(interleaved(2, 1, 2, 2)), 4);
  EXPECT_EQ(max_in_flight(interleaved(2, 0, 2, 4)), 5);
  EXPECT_EQ(max_in_flight(interleaved(2, 1, 2, 4)), 3);
}

TEST(PipelineSchedule, InterleavedNeedsAMultipleOfPipelineSize) {
  try {
    interleaved(4, 0, 2, 6);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--num-layers-per-virtual-pipeline-stage"), std::string::npos) << what;
    EXPECT_NE(what.find("--global-batch-size"), std::string::npos) << what;
    EXPECT_NE(what.find("--pipeline-model-parallel-size 4"), std::string::npos) << what;
  }
}

TEST(PipelineSchedule, MaxInFlight) {
  EXPECT_EQ(max_in_flight({}), 0);
  EXPECT_EQ(max_in_flight({{F, 0, 0}, {B, 0, 0}, {F, 0, 1}, {B, 0, 1}}), 1);
  EXPECT_EQ(max_in_flight({{F, 0, 0}, {F, 0, 1}, {B, 0, 0}, {F, 0, 2}, {B, 0, 1}, {B, 0, 2}}), 2);
}

}  // namespace
}  // namespace ascent::parallel::pp
