#pragma once
// Comm: one process group (world, tp, dp, pp, ...) and every collective and point-to-point
// operation the framework uses. Each operation that can block is registered with the watchdog
// (op, group name, peer or size, element count) for as long as it blocks.
//
// Element types: all_reduce takes float, double, int64_t; reduce_scatter float, double;
// all_gather, broadcast and point-to-point take float, double, int64_t, uint16_t (bf16/f16 bits)
// and uint8_t (bytes). Counts are elements. Buffers of one call must not overlap unless the
// function says it works in place. Every rank of the group must call collectives in the same
// order with matching counts (MPI's rule); a mismatch hangs until the watchdog fires.
//
// Only the main thread may call these (MPI_THREAD_FUNNELED).
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "parallel/watchdog.h"

namespace ascent::parallel {

enum class ReduceOp { Sum, Max, Min };

// A pending nonblocking operation; complete it with Comm::wait (or test). Move-only: it owns
// the count arrays MPI reads until completion.
struct Request {
  MPI_Request handle = MPI_REQUEST_NULL;
  const char* op = "";
  int peer = -1;  // group rank for point-to-point, -1 for collectives
  int64_t count = 0;
  std::vector<int> counts;  // kept alive for vector collectives

  Request() = default;
  Request(Request&&) noexcept = default;
  Request& operator=(Request&&) noexcept = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  bool pending() const { return handle != MPI_REQUEST_NULL; }
};

class Comm {
 public:
  Comm() = default;
  // Takes ownership of `comm` (freed on destruction unless it is MPI_COMM_WORLD/SELF/NULL).
  // MPI_COMM_NULL makes a Comm of which this rank is not a member.
  Comm(MPI_Comm comm, std::string name, Watchdog* watchdog);
  ~Comm();
  Comm(Comm&& o) noexcept;
  Comm& operator=(Comm&& o) noexcept;
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  bool member() const { return comm_ != MPI_COMM_NULL; }
  int rank() const { return rank_; }  // -1 when not a member
  int size() const { return size_; }  // 0 when not a member
  const std::string& name() const { return name_; }
  MPI_Comm handle() const { return comm_; }
  Watchdog* watchdog() const { return watchdog_; }
  // World ranks of the members, in group-rank order.
  std::vector<int> world_ranks() const;

  // data[0, n) = op over ranks of data[0, n), in place. Any n (chunked above 2^30).
  template <typename T>
  void all_reduce(T* data, int64_t n, ReduceOp op = ReduceOp::Sum) const;
  // Nonblocking in-place sum; n < 2^31.
  template <typename T>
  Request iall_reduce(T* data, int64_t n) const;

  // recv[0, counts[rank]) = sum over ranks of send[offset_r, offset_r + counts[rank]) with
  // offset_r the prefix sum of counts (uneven pieces allowed, zero included).
  template <typename T>
  void reduce_scatter(const T* send, T* recv, const std::vector<int64_t>& counts) const;
  // Equal pieces: send holds size() * count elements.
  template <typename T>
  void reduce_scatter(const T* send, T* recv, int64_t count) const;
  template <typename T>
  Request ireduce_scatter(const T* send, T* recv, const std::vector<int64_t>& counts) const;

  // recv = concatenation over ranks of each rank's send[0, count): size() * count elements.
  template <typename T>
  void all_gather(const T* send, int64_t count, T* recv) const;
  // Uneven: rank r contributes counts[r] elements, placed at the prefix sum of counts.
  template <typename T>
  void all_gather(const T* send, T* recv, const std::vector<int64_t>& counts) const;
  // Same, in place: this rank's piece already sits at its offset inside buf.
  template <typename T>
  void all_gather_in_place(T* buf, const std::vector<int64_t>& counts) const;

  template <typename T>
  void broadcast(T* data, int64_t n, int root) const;
  void broadcast(std::string& s, int root) const;
  void barrier() const;

  template <typename T>
  void send(const T* data, int64_t n, int peer, int tag = 0) const;
  template <typename T>
  void recv(T* data, int64_t n, int peer, int tag = 0) const;
  template <typename T>
  Request isend(const T* data, int64_t n, int peer, int tag = 0) const;
  template <typename T>
  Request irecv(T* data, int64_t n, int peer, int tag = 0) const;

  // Bytes this rank has handed to operations of this group since construction: the input of
  // each all-reduce and reduce-scatter, its own piece of each all-gather, each broadcast buffer
  // and each send (receives count nothing). A traffic figure for benchmarks, independent of the
  // algorithm MPI picks (a ring all-reduce puts about twice this on the wire).
  int64_t payload_bytes() const { return payload_bytes_; }

  // Blocks until r completes (under the watchdog); r is reset.
  void wait(Request& r) const;
  void wait_all(std::vector<Request>& rs) const;
  // True when r has completed (then r is reset); drives MPI progress either way.
  bool test(Request& r) const;

 private:
  void require_member(const char* op) const;
  void reset();
  template <typename T>
  void count(int64_t elements) const {
    payload_bytes_ += elements * static_cast<int64_t>(sizeof(T));
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string name_;
  Watchdog* watchdog_ = nullptr;
  int rank_ = -1, size_ = 0;
  mutable int64_t payload_bytes_ = 0;
};

}  // namespace ascent::parallel
