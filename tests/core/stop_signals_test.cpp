// StopSignals: the first stop signal is recorded and the process goes on; a second one ends it
// with that signal; a signal ignored beforehand (nohup) stays ignored; the previous handlers come
// back afterwards.
#include "core/stop_signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"

namespace ascent {
namespace {

TEST(StopSignals, FirstSignalIsRecordedAndTheProcessGoesOn) {
  StopSignals::clear();
  {
    const StopSignals stop("testing");
    EXPECT_EQ(StopSignals::received(), 0);
    EXPECT_FALSE(StopSignals::flag().load());
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
      ASSERT_EQ(raise(sig), 0);
      EXPECT_EQ(StopSignals::received(), sig) << signal_name(sig);
      EXPECT_TRUE(StopSignals::flag().load());
      StopSignals::clear();
    }
  }
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGUSR1), "SIGUSR1");
}

TEST(StopSignals, SecondSignalEndsTheProcessAtOnce) {
  for (int second : {SIGTERM, SIGINT}) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const StopSignals stop("testing");
      raise(SIGTERM);
      raise(second);
      _exit(StopSignals::received() == SIGTERM ? 3 : 4);  // only reached if it survived
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), second);
  }
}

TEST(StopSignals, IgnoredSignalsStayIgnoredAndHandlersAreRestored) {
  StopSignals::clear();
  struct sigaction ignore {
  }, before{}, after{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(sigaction(SIGHUP, &ignore, &before), 0);
  {
    const StopSignals stop("testing");
    raise(SIGHUP);
    EXPECT_EQ(StopSignals::received(), 0) << "SIGHUP was ignored (nohup) and must stay so";
    EXPECT_THROW(StopSignals("again"), Error);
  }
  ASSERT_EQ(sigaction(SIGHUP, &before, &after), 0);
  EXPECT_EQ(after.sa_handler, SIG_IGN);
  // SIGTERM's default action is back: a child that raises it dies of it.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    raise(SIGTERM);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

}  // namespace
}  // namespace ascent
