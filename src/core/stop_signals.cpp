#include "core/stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace ascent {
namespace {

constexpr std::array<int, 4> kStopSignals = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

// Written by the handler, read by the program: lock-free atomics are async-signal-safe.
std::atomic<int> g_received{0};
std::atomic<bool> g_flag{false};
std::atomic<bool> g_installed{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

// The line printed at the first signal, one per signal, formatted before any handler runs (the
// handler may only call write()).
std::array<std::array<char, 256>, kStopSignals.size()> g_lines;
std::array<size_t, kStopSignals.size()> g_line_lengths;
std::array<struct sigaction, kStopSignals.size()> g_previous;
std::array<bool, kStopSignals.size()> g_handled;

int index_of(int sig) {
  for (size_t i = 0; i < kStopSignals.size(); ++i)
    if (kStopSignals[i] == sig) return static_cast<int>(i);
  return -1;
}

extern "C" void on_stop_signal(int sig) {
  const int saved_errno = errno;
  int expected = 0;
  if (!g_received.compare_exchange_strong(expected, sig)) {
    // The second signal: the default action (the process ends), now.
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved_errno;
    return;
  }
  g_flag.store(true);
  const int i = index_of(sig);
  if (i >= 0) {
    const ssize_t n = write(STDERR_FILENO, g_lines[i].data(), g_line_lengths[i]);
    (void)n;
  }
  errno = saved_errno;
}

}  // namespace

StopSignals::StopSignals(const std::string& what, const std::string& who) {
  if (g_installed.exchange(true))
    throw error("[core] StopSignals: the stop-signal handlers are already installed");
  for (size_t i = 0; i < kStopSignals.size(); ++i) {
    const int n = std::snprintf(g_lines[i].data(), g_lines[i].size(),
                                "%s: %s received; %s (a second signal ends the process at once)\n",
                                who.c_str(), signal_name(kStopSignals[i]).c_str(), what.c_str());
    g_line_lengths[i] = std::min(static_cast<size_t>(std::max(n, 0)), g_lines[i].size() - 1);
    g_handled[i] = false;
    struct sigaction previous {};
    if (sigaction(kStopSignals[i], nullptr, &previous) != 0 || previous.sa_handler == SIG_IGN)
      continue;  // ignored on purpose (nohup): keep it so
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    // Interrupted system calls (file writes, MPI's polling) resume instead of failing.
    sa.sa_flags = SA_RESTART;
    if (sigaction(kStopSignals[i], &sa, &g_previous[i]) == 0) g_handled[i] = true;
  }
}

StopSignals::~StopSignals() {
  for (size_t i = 0; i < kStopSignals.size(); ++i)
    if (g_handled[i]) sigaction(kStopSignals[i], &g_previous[i], nullptr);
  g_installed.store(false);
}

int StopSignals::received() { return g_received.load(); }

const std::atomic<bool>& StopSignals::flag() { return g_flag; }

void StopSignals::clear() {
  g_received.store(0);
  g_flag.store(false);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    default:
      return "signal " + std::to_string(sig);
  }
}

}  // namespace ascent
