// core/log.h: every command logs in one style (no spdlog time stamp or level tag; "warning: " and
// "error: " before warnings and errors; "[rN] " when every rank speaks).
#include "core/log.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "support/captured_log.h"

namespace ascent {
namespace {

using testing::CapturedLog;

TEST(Log, OneStyleForEveryCommand) {
  CapturedLog log;
  init_logging();
  ASCENT_LOG_INFO("wrote {} files", 3);
  ASCENT_LOG_WARN("[train] --flag: ignored");
  spdlog::error("[train] broken");
  EXPECT_EQ(log.text(), "wrote 3 files\nwarning: [train] --flag: ignored\nerror: [train] broken\n");
}

TEST(Log, RanksOtherThanZeroKeepWarnings) {
  CapturedLog log;
  unsetenv("ASCENT_LOG_ALL_RANKS");
  set_log_rank(1);
  ASCENT_LOG_INFO("not shown");
  ASCENT_LOG_WARN("shown");
  EXPECT_EQ(log.text(), "warning: shown\n");
  setenv("ASCENT_LOG_ALL_RANKS", "1", 1);
  set_log_level("info");
  set_log_rank(3);
  ASCENT_LOG_INFO("every rank");
  EXPECT_EQ(log.text(), "warning: shown\n[r3] every rank\n");
  unsetenv("ASCENT_LOG_ALL_RANKS");
}

}  // namespace
}  // namespace ascent
