// Failpoints (core/failpoint.h): the actions, several points at once, the rank selector, and a
// named error for a malformed ASCENT_FAILPOINT.
#include "core/failpoint.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

#include "support/test_dir.h"

namespace ascent {
namespace {

struct ClearFailpoints {
  ~ClearFailpoints() { failpoint::configure(""); }
};

TEST(Failpoint, UnsetDoesNothing) {
  ClearFailpoints clear;
  failpoint::configure("");
  EXPECT_EQ(failpoint::hit("checkpoint.write_shard"), 0);
}

TEST(Failpoint, ErrnoActionsReturnTheirErrnoAtTheirPointOnly) {
  ClearFailpoints clear;
  failpoint::configure("a:enospc,b:einval,c:eio");
  EXPECT_EQ(failpoint::hit("a"), ENOSPC);
  EXPECT_EQ(failpoint::hit("b"), EINVAL);
  EXPECT_EQ(failpoint::hit("c"), EIO);
  EXPECT_EQ(failpoint::hit("d"), 0);
  EXPECT_EQ(failpoint::hit("a.b"), 0);
}

TEST(Failpoint, RankSelectorSkipsOtherRanks) {
  ClearFailpoints clear;
  failpoint::configure("a:enospc", 3);  // this test process is rank 0
  EXPECT_EQ(failpoint::hit("a"), 0);
  failpoint::configure("a:enospc", 0);
  EXPECT_EQ(failpoint::hit("a"), ENOSPC);
}

TEST(Failpoint, KillAndExitEndTheProcess) {
  ClearFailpoints clear;
  EXPECT_EXIT(
      {
        failpoint::configure("p");  // kill is the default action
        failpoint::hit("p");
      },
      ::testing::KilledBySignal(SIGKILL), "failpoint p fired");
  EXPECT_EXIT(
      {
        failpoint::configure("p:exit");
        failpoint::hit("p");
      },
      ::testing::ExitedWithCode(failpoint::kFailpointExitStatus), "failpoint p fired");
  EXPECT_EXIT(
      {
        failpoint::configure("p:term");
        failpoint::hit("p");
      },
      ::testing::KilledBySignal(SIGTERM), "failpoint p fired");
}

TEST(Failpoint, MalformedSpecIsNamed) {
  ClearFailpoints clear;
  testing::expect_error([] { failpoint::configure("checkpoint.write_shard:explode"); },
                        {"[failpoint] ASCENT_FAILPOINT=checkpoint.write_shard:explode",
                         "unknown action 'explode'", "kill, term, exit, enospc"});
  testing::expect_error([] { failpoint::configure(":kill"); }, {"no point named"});
}

}  // namespace
}  // namespace ascent
