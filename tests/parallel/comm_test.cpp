#include "parallel/comm.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "parallel/mpi_test_env.h"

namespace ascent::parallel {
namespace {

using testing::exact_value;
using testing::value;
using testing::world;

const std::vector<int64_t> kSizes = {1, 7, 1023, 100003};

TEST(Comm, AllReduceF32MatchesSerialSum) {
  const Comm& c = world();
  for (int64_t n : kSizes) {
    // Exact values: every summation order gives the same bits.
    std::vector<float> x(n), ref(n, 0.f);
    for (int64_t i = 0; i < n; ++i) x[i] = exact_value(n, c.rank(), i);
    for (int r = 0; r < c.size(); ++r)
      for (int64_t i = 0; i < n; ++i) ref[i] += exact_value(n, r, i);
    c.all_reduce(x.data(), n);
    EXPECT_EQ(x, ref) << "n " << n;
    // Arbitrary values: equal up to the summation order.
    for (int64_t i = 0; i < n; ++i) x[i] = value(n + 1, c.rank(), i);
    c.all_reduce(x.data(), n);
    double err = 0;
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int r = 0; r < c.size(); ++r) s += value(n + 1, r, i);
      err = std::max(err, std::fabs(x[i] - s));
    }
    EXPECT_LE(err, 1e-6 * c.size()) << "n " << n;
  }
}

TEST(Comm, AllReduceF64AndI64AndMinMax) {
  const Comm& c = world();
  for (int64_t n : kSizes) {
    std::vector<double> d(n);
    std::vector<int64_t> k(n), kmax(n), kmin(n);
    for (int64_t i = 0; i < n; ++i) {
      d[i] = value(7, c.rank(), i);
      k[i] = kmax[i] = kmin[i] = static_cast<int64_t>(value(8, c.rank(), i) * 1e12);
    }
    c.all_reduce(d.data(), n);
    c.all_reduce(k.data(), n);
    c.all_reduce(kmax.data(), n, ReduceOp::Max);
    c.all_reduce(kmin.data(), n, ReduceOp::Min);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; ++i) {
      double ds = 0;
      int64_t ks = 0, kx = INT64_MIN, kn = INT64_MAX;
      for (int r = 0; r < c.size(); ++r) {
        ds += value(7, r, i);
        const int64_t v = static_cast<int64_t>(value(8, r, i) * 1e12);
        ks += v;
        kx = std::max(kx, v);
        kn = std::min(kn, v);
      }
      bad += std::fabs(d[i] - ds) > 1e-13 || k[i] != ks || kmax[i] != kx || kmin[i] != kn;
    }
    EXPECT_EQ(bad, 0) << "n " << n;
  }
  float f = static_cast<float>(c.rank());
  c.all_reduce(&f, 1, ReduceOp::Max);
  EXPECT_EQ(f, static_cast<float>(c.size() - 1));
}

TEST(Comm, NonblockingAllReduce) {
  const Comm& c = world();
  std::vector<float> a(1001), b(17);
  for (size_t i = 0; i < a.size(); ++i) a[i] = exact_value(1, c.rank(), i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = exact_value(2, c.rank(), i);
  Request ra = c.iall_reduce(a.data(), a.size());
  Request rb = c.iall_reduce(b.data(), b.size());
  c.wait(rb);
  c.wait(ra);
  EXPECT_FALSE(ra.pending());
  for (size_t i = 0; i < a.size(); ++i) {
    float s = 0;
    for (int r = 0; r < c.size(); ++r) s += exact_value(1, r, i);
    EXPECT_EQ(a[i], s);
  }
  for (size_t i = 0; i < b.size(); ++i) {
    float s = 0;
    for (int r = 0; r < c.size(); ++r) s += exact_value(2, r, i);
    EXPECT_EQ(b[i], s);
  }
}

// counts[r] for an uneven split, with zero pieces and odd sizes.
std::vector<int64_t> uneven_counts(int size) {
  std::vector<int64_t> counts(size);
  for (int r = 0; r < size; ++r) counts[r] = (r % 3 == 1) ? 0 : 5 + 3 * r;
  return counts;
}

template <typename T>
void check_reduce_scatter(const Comm& c, const std::vector<int64_t>& counts, bool nonblocking) {
  int64_t total = 0, offset = 0;
  for (int r = 0; r < c.size(); ++r) {
    if (r == c.rank()) offset = total;
    total += counts[r];
  }
  std::vector<T> send(total), recv(std::max<int64_t>(counts[c.rank()], 1));
  for (int64_t i = 0; i < total; ++i) send[i] = exact_value(3, c.rank(), i);
  if (nonblocking) {
    Request req = c.ireduce_scatter(send.data(), recv.data(), counts);
    c.wait(req);
  } else {
    c.reduce_scatter(send.data(), recv.data(), counts);
  }
  for (int64_t i = 0; i < counts[c.rank()]; ++i) {
    T s = 0;
    for (int r = 0; r < c.size(); ++r) s += exact_value(3, r, offset + i);
    EXPECT_EQ(recv[i], s) << i;
  }
}

TEST(Comm, ReduceScatterEvenAndUneven) {
  const Comm& c = world();
  check_reduce_scatter<float>(c, std::vector<int64_t>(c.size(), 1001), false);
  check_reduce_scatter<float>(c, uneven_counts(c.size()), false);
  check_reduce_scatter<double>(c, uneven_counts(c.size()), false);
  check_reduce_scatter<float>(c, uneven_counts(c.size()), true);
  // Equal pieces through the block variant.
  const int64_t n = 333;
  std::vector<float> send(n * c.size()), recv(n);
  for (int64_t i = 0; i < n * c.size(); ++i) send[i] = exact_value(4, c.rank(), i);
  c.reduce_scatter(send.data(), recv.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    float s = 0;
    for (int r = 0; r < c.size(); ++r) s += exact_value(4, r, c.rank() * n + i);
    EXPECT_EQ(recv[i], s);
  }
}

template <typename T>
T pattern(int rank, int64_t i) {
  return static_cast<T>((rank * 131 + i * 7) % 251);
}

template <typename T>
void check_all_gather(const Comm& c) {
  // Equal counts.
  const int64_t n = 257;
  std::vector<T> mine(n), all(n * c.size());
  for (int64_t i = 0; i < n; ++i) mine[i] = pattern<T>(c.rank(), i);
  c.all_gather(mine.data(), n, all.data());
  for (int r = 0; r < c.size(); ++r)
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(all[r * n + i], pattern<T>(r, i));
  // Uneven counts, separate and in place.
  const std::vector<int64_t> counts = uneven_counts(c.size());
  int64_t total = 0, offset = 0;
  for (int r = 0; r < c.size(); ++r) {
    if (r == c.rank()) offset = total;
    total += counts[r];
  }
  std::vector<T> piece(std::max<int64_t>(counts[c.rank()], 1)), out(total), in_place(total);
  for (int64_t i = 0; i < counts[c.rank()]; ++i)
    piece[i] = in_place[offset + i] = pattern<T>(c.rank(), i);
  c.all_gather(piece.data(), out.data(), counts);
  c.all_gather_in_place(in_place.data(), counts);
  int64_t at = 0;
  for (int r = 0; r < c.size(); ++r)
    for (int64_t i = 0; i < counts[r]; ++i, ++at) {
      EXPECT_EQ(out[at], pattern<T>(r, i));
      EXPECT_EQ(in_place[at], pattern<T>(r, i));
    }
}

TEST(Comm, AllGatherEqualAndUnevenAllTypes) {
  check_all_gather<float>(world());
  check_all_gather<double>(world());
  check_all_gather<int64_t>(world());
  check_all_gather<uint16_t>(world());
  check_all_gather<uint8_t>(world());
}

TEST(Comm, Broadcast) {
  const Comm& c = world();
  const int root = c.size() - 1;
  std::vector<float> f(1001, c.rank() == root ? 2.5f : 0.f);
  std::vector<int64_t> k(3, c.rank() == root ? -7 : 0);
  c.broadcast(f.data(), f.size(), root);
  c.broadcast(k.data(), k.size(), root);
  EXPECT_EQ(f, std::vector<float>(1001, 2.5f));
  EXPECT_EQ(k, std::vector<int64_t>(3, -7));
  std::string s = c.rank() == 0 ? std::string("hello\0world", 11) : std::string("x");
  c.broadcast(s, 0);
  EXPECT_EQ(s, std::string("hello\0world", 11));
  c.barrier();
}

TEST(Comm, PointToPointRing) {
  const Comm& c = world();
  const int next = (c.rank() + 1) % c.size(), prev = (c.rank() + c.size() - 1) % c.size();
  const int64_t n = 10007;
  std::vector<float> out(n), in(n);
  for (int64_t i = 0; i < n; ++i) out[i] = pattern<float>(c.rank(), i);
  std::vector<Request> reqs;
  reqs.push_back(c.irecv(in.data(), n, prev, 5));
  reqs.push_back(c.isend(out.data(), n, next, 5));
  c.wait_all(reqs);
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(in[i], pattern<float>(prev, i));
  // Blocking pairs: even ranks send first, odd ranks receive first.
  if (c.size() > 1) {
    std::vector<uint16_t> a(33, static_cast<uint16_t>(c.rank())), b(33);
    const int peer = c.rank() ^ 1;
    if (peer < c.size()) {
      if (c.rank() % 2 == 0) {
        c.send(a.data(), 33, peer);
        c.recv(b.data(), 33, peer);
      } else {
        c.recv(b.data(), 33, peer);
        c.send(a.data(), 33, peer);
      }
      EXPECT_EQ(b, std::vector<uint16_t>(33, static_cast<uint16_t>(peer)));
    }
  }
}

template <typename T>
void check_broadcast(const Comm& c, int root) {
  std::vector<T> x(77);
  for (int64_t i = 0; i < 77; ++i) x[i] = c.rank() == root ? pattern<T>(root, i) : T{};
  c.broadcast(x.data(), 77, root);
  for (int64_t i = 0; i < 77; ++i) EXPECT_EQ(x[i], pattern<T>(root, i));
}

TEST(Comm, BroadcastAllTypes) {
  for (int root = 0; root < world().size(); ++root) {
    check_broadcast<float>(world(), root);
    check_broadcast<double>(world(), root);
    check_broadcast<int64_t>(world(), root);
    check_broadcast<uint16_t>(world(), root);
    check_broadcast<uint8_t>(world(), root);
  }
}

// Every blocking operation is registered with the watchdog: a receive whose sender is late
// trips a short watchdog (a capturing one here, instead of ending the process).
TEST(Comm, BlockingOperationsAreWatched) {
  if (world().size() < 2) GTEST_SKIP() << "needs two ranks";
  std::mutex mu;
  std::string message;
  Watchdog w(world().rank(), 0.1, [&](const std::string& m) {
    std::lock_guard<std::mutex> lock(mu);
    message = m;
  });
  MPI_Comm dup;
  MPI_Comm_dup(world().handle(), &dup);
  Comm c(dup, "late", &w);
  w.set_iteration(42);
  float x = 1.f;
  if (c.rank() == 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    c.send(&x, 1, 0, 9);
  } else if (c.rank() == 0) {
    c.recv(&x, 1, 1, 9);
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_NE(message.find("rank 0: recv [peer 1, 1 elements] on group late (iteration 42)"),
              std::string::npos)
        << message;
  }
  c.barrier();
}

TEST(Comm, NonMemberReportsItself) {
  Comm none(MPI_COMM_NULL, "embedding", nullptr);
  EXPECT_FALSE(none.member());
  EXPECT_EQ(none.rank(), -1);
  EXPECT_EQ(none.size(), 0);
  EXPECT_TRUE(none.world_ranks().empty());
}

}  // namespace
}  // namespace ascent::parallel
