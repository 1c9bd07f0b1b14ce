// main() of parallel_tests: MPI set-up, a test watchdog, and output from rank 0 only (other
// ranks print just their failures, prefixed with the rank).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "parallel/mpi_test_env.h"
#include "parallel/mpi_env.h"

namespace ascent::parallel::testing {
namespace {

std::unique_ptr<Watchdog> g_watchdog;
std::unique_ptr<Comm> g_world;

class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_, r.file_name() ? r.file_name() : "?",
                 r.line_number(), r.message());
  }

 private:
  int rank_;
};

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

const Comm& world() { return *g_world; }
Watchdog* watchdog() { return g_watchdog.get(); }

float value(uint64_t seed, int rank, int64_t i) {
  const uint64_t h = mix(seed * 0x9e3779b97f4a7c15ull + mix(static_cast<uint64_t>(rank) + 1) +
                         static_cast<uint64_t>(i));
  return static_cast<float>(static_cast<double>(h >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

float exact_value(uint64_t seed, int rank, int64_t i) {
  return static_cast<float>(static_cast<int>((value(seed, rank, i) + 1.f) * 8.f) - 8) / 16.f;
}

}  // namespace ascent::parallel::testing

int main(int argc, char** argv) {
  namespace par = ascent::parallel;
  par::MpiEnv env(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  par::testing::g_watchdog = std::make_unique<par::Watchdog>(env.world_rank(), 60.0);
  MPI_Comm dup;
  MPI_Comm_dup(MPI_COMM_WORLD, &dup);
  par::testing::g_world = std::make_unique<par::Comm>(dup, "world", par::testing::g_watchdog.get());
  if (env.world_rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new par::testing::RankFailurePrinter(env.world_rank()));
  }
  const int rc = RUN_ALL_TESTS();
  par::testing::g_world.reset();
  par::testing::g_watchdog.reset();
  return rc;
}
