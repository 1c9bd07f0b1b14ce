#pragma once
// Watchdog: turns a hang in communication into a prompt, explained failure.
//
// Every Comm operation that can block opens a Watchdog::Scope naming the operation, the group,
// the peer or group size and the element count. A background thread wakes a few times per
// timeout; when one scope has stayed open longer than --distributed-timeout-minutes it prints
//   [parallel] rank R: all_reduce [4 ranks, 1024 elements] on group dp (iteration I) blocked for
//   S s; aborting
// to stderr and ends the process with _exit(kWatchdogExitCode). The thread never calls MPI (the
// library is initialised MPI_THREAD_FUNNELED); mpirun sees a rank exit non-zero without
// finalizing and tears the whole job down.
//
// Only the thread that calls MPI opens scopes; scopes nest (the innermost one is reported).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ascent::parallel {

constexpr int kWatchdogExitCode = 3;

class Watchdog {
 public:
  // Called with the message when a scope times out. The default prints to stderr and _exits.
  using FireHandler = std::function<void(const std::string& message)>;

  // timeout_seconds <= 0 disables the watchdog (no thread). `rank` is the world rank printed.
  Watchdog(int rank, double timeout_seconds, FireHandler on_fire = {});
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  double timeout_seconds() const { return timeout_s_; }
  // The training iteration reported in messages (the trainer sets it at each step).
  void set_iteration(int64_t iteration);

  // RAII registration of one blocking operation; a null watchdog makes it a no-op.
  // `op` must be a string literal; `group` must outlive the scope. peer < 0: a collective over
  // `ranks` ranks; otherwise a point-to-point operation with group rank `peer`.
  class Scope {
   public:
    Scope(Watchdog* w, const char* op, const std::string* group, int peer, int ranks,
          int64_t count);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    friend class Watchdog;
    Watchdog* w_;
    const char* op_;
    const std::string* group_;
    int peer_, ranks_;
    int64_t count_;
    std::chrono::steady_clock::time_point start_;
    // The enclosing scope (restored on exit).
    const Scope* outer_;
  };

 private:
  void loop();
  std::string describe(const Scope& s, double blocked_s) const;

  int rank_;
  double timeout_s_;
  FireHandler on_fire_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool fired_ = false;
  const Scope* active_ = nullptr;  // innermost open scope, guarded by mu_
  int64_t iteration_ = 0;          // guarded by mu_
  std::thread thread_;
};

}  // namespace ascent::parallel
