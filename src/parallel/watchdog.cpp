#include "parallel/watchdog.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace ascent::parallel {
namespace {

void print_and_exit(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  // Not exit(): the main thread is inside MPI; static destructors and MPI_Finalize must not run.
  _exit(kWatchdogExitCode);
}

}  // namespace

Watchdog::Watchdog(int rank, double timeout_seconds, FireHandler on_fire)
    : rank_(rank), timeout_s_(timeout_seconds), on_fire_(std::move(on_fire)) {
  if (!on_fire_) on_fire_ = print_and_exit;
  if (timeout_s_ > 0) thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::set_iteration(int64_t iteration) {
  std::lock_guard<std::mutex> lock(mu_);
  iteration_ = iteration;
}

Watchdog::Scope::Scope(Watchdog* w, const char* op, const std::string* group, int peer, int ranks,
                       int64_t count)
    : w_(w && w->timeout_s_ > 0 ? w : nullptr),
      op_(op),
      group_(group),
      peer_(peer),
      ranks_(ranks),
      count_(count),
      outer_(nullptr) {
  if (!w_) return;
  start_ = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(w_->mu_);
  outer_ = w_->active_;
  w_->active_ = this;
}

Watchdog::Scope::~Scope() {
  if (!w_) return;
  std::lock_guard<std::mutex> lock(w_->mu_);
  w_->active_ = outer_;
}

std::string Watchdog::describe(const Scope& s, double blocked_s) const {
  char detail[96];
  if (s.peer_ >= 0) {
    std::snprintf(detail, sizeof detail, "[peer %d, %lld elements]", s.peer_,
                  static_cast<long long>(s.count_));
  } else {
    std::snprintf(detail, sizeof detail, "[%d ranks, %lld elements]", s.ranks_,
                  static_cast<long long>(s.count_));
  }
  char head[512];
  std::snprintf(head, sizeof head,
                "[parallel] rank %d: %s %s on group %s (iteration %lld) blocked for %.1f s; "
                "aborting (--distributed-timeout-minutes %g; a peer rank may have died, stopped "
                "or called a different collective)",
                rank_, s.op_, detail, s.group_ ? s.group_->c_str() : "?",
                static_cast<long long>(iteration_), blocked_s, timeout_s_ / 60.0);
  return head;
}

void Watchdog::loop() {
  // Wake often enough that a timeout is noticed within ~5% of its length (and within 1 s).
  const auto period = std::chrono::duration<double>(std::clamp(timeout_s_ / 20.0, 0.01, 1.0));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period);
    if (stop_ || fired_ || !active_) continue;
    // The outermost open scope has been blocking longest.
    const Scope* s = active_;
    while (s->outer_) s = s->outer_;
    const double blocked =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s->start_).count();
    if (blocked < timeout_s_) continue;
    fired_ = true;
    const std::string message = describe(*active_, blocked);
    lock.unlock();
    on_fire_(message);
    lock.lock();
  }
}

}  // namespace ascent::parallel
