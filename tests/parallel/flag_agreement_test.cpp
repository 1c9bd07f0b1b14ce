#include "parallel/flag_agreement.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "parallel/mpi_test_env.h"

namespace ascent::parallel {
namespace {

using testing::world;

FlagList base_flags() {
  return {
      {"lr", "0.001"}, {"seed", "1234"}, {"tensor-model-parallel-size", "1"}, {"bf16", "false"}};
}

TEST(FlagAgreement, HashIgnoresOrderButNotValues) {
  FlagList a = base_flags(), b(a.rbegin(), a.rend()), c = a;
  c[0].second = "0.002";
  EXPECT_EQ(hash_flags(a), hash_flags(b));
  EXPECT_NE(hash_flags(a), hash_flags(c));
  EXPECT_NE(hash_flags({{"a", "bc"}}), hash_flags({{"ab", "c"}}));
}

TEST(FlagAgreement, SameFlagsInAnyOrderPass) {
  FlagList f = base_flags();
  if (world().rank() % 2) std::reverse(f.begin(), f.end());
  EXPECT_NO_THROW(check_flag_agreement(world(), f));
}

TEST(FlagAgreement, DifferingRankFailsEverywhereNamingTheFlag) {
  const Comm& c = world();
  if (c.size() == 1) GTEST_SKIP() << "needs two ranks";
  const int odd = c.size() - 1;
  FlagList f = base_flags();
  if (c.rank() == odd) {
    f[0].second = "0.002";                   // a different --lr
    f.push_back({"micro-batch-size", "4"});  // a flag rank 0 does not have
  }
  try {
    check_flag_agreement(c, f);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("[parallel] flags differ across ranks"), std::string::npos) << m;
    EXPECT_NE(m.find("rank " + std::to_string(odd) + ": --lr 0.002 (rank 0: 0.001)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("--micro-batch-size 4 (rank 0: missing)"), std::string::npos) << m;
    EXPECT_EQ(m.find("rank 1: ") != std::string::npos, odd == 1) << m;
  }
}

}  // namespace
}  // namespace ascent::parallel
