// In-process watchdog behaviour (each rank on its own, no MPI). The end-to-end case, a job whose
// rank is stopped and that must die within the timeout, is failure_test.sh.
#include "parallel/watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace ascent::parallel {
namespace {

struct Captured {
  std::mutex mu;
  std::string message;
  std::atomic<int> fired{0};
  Watchdog::FireHandler handler() {
    return [this](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      message = m;
      ++fired;
    };
  }
};

TEST(Watchdog, FiresWithOpGroupIterationAndTime) {
  Captured cap;
  const std::string group = "dp";
  Watchdog w(5, 0.2, cap.handler());
  w.set_iteration(7);
  {
    Watchdog::Scope s(&w, "all_reduce", &group, -1, 4, 1024);
    for (int i = 0; i < 200 && cap.fired == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(cap.fired, 1);
  std::lock_guard<std::mutex> lock(cap.mu);
  EXPECT_NE(cap.message.find("[parallel] rank 5: all_reduce [4 ranks, 1024 elements] on group dp "
                             "(iteration 7) blocked for "),
            std::string::npos)
      << cap.message;
  EXPECT_NE(cap.message.find(" s; aborting"), std::string::npos) << cap.message;
}

TEST(Watchdog, ReportsInnermostScopeOfNestedOnes) {
  Captured cap;
  const std::string world = "world", pp = "pp";
  Watchdog w(0, 0.15, cap.handler());
  {
    Watchdog::Scope outer(&w, "comm_split", &world, -1, 2, 0);
    Watchdog::Scope inner(&w, "recv", &pp, 1, 2, 99);
    for (int i = 0; i < 200 && cap.fired == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(cap.fired, 1);
  std::lock_guard<std::mutex> lock(cap.mu);
  EXPECT_NE(cap.message.find("recv [peer 1, 99 elements] on group pp"), std::string::npos)
      << cap.message;
}

TEST(Watchdog, QuietWhileOperationsFinishInTime) {
  Captured cap;
  const std::string group = "tp";
  Watchdog w(0, 0.1, cap.handler());
  for (int i = 0; i < 30; ++i) {
    Watchdog::Scope s(&w, "all_gather", &group, -1, 2, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // idle time is never a timeout
  EXPECT_EQ(cap.fired, 0);
}

TEST(Watchdog, DisabledByNonPositiveTimeout) {
  Captured cap;
  const std::string group = "dp";
  Watchdog w(0, 0.0, cap.handler());
  Watchdog::Scope s(&w, "barrier", &group, -1, 2, 0);
  Watchdog::Scope none(nullptr, "barrier", &group, -1, 2, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(cap.fired, 0);
}

}  // namespace
}  // namespace ascent::parallel
