#include "parallel/comm.h"

#include <climits>
#include <cstring>
#include <utility>

#include "core/error.h"

namespace ascent::parallel {
namespace {

template <typename T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() {
  return MPI_FLOAT;
}
template <>
MPI_Datatype mpi_type<double>() {
  return MPI_DOUBLE;
}
template <>
MPI_Datatype mpi_type<int64_t>() {
  return MPI_INT64_T;
}
template <>
MPI_Datatype mpi_type<uint16_t>() {
  return MPI_UINT16_T;
}
template <>
MPI_Datatype mpi_type<uint8_t>() {
  return MPI_UINT8_T;
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return MPI_SUM;
    case ReduceOp::Max:
      return MPI_MAX;
    case ReduceOp::Min:
      return MPI_MIN;
  }
  return MPI_SUM;
}

// MPI counts are int; larger messages must be split by the caller (or chunked here).
int to_int(int64_t n, const char* op) {
  ASCENT_CHECK(n >= 0 && n <= INT_MAX)
      << "[parallel] " << op << ": count " << n << " does not fit an MPI int";
  return static_cast<int>(n);
}

struct VectorLayout {
  std::vector<int> counts, displs;
  int64_t total = 0;
};

VectorLayout vector_layout(const std::vector<int64_t>& counts, int size, const char* op) {
  ASCENT_CHECK(static_cast<int>(counts.size()) == size)
      << "[parallel] " << op << ": " << counts.size() << " counts for a group of " << size;
  VectorLayout v;
  v.counts.resize(counts.size());
  v.displs.resize(counts.size());
  for (size_t r = 0; r < counts.size(); ++r) {
    v.counts[r] = to_int(counts[r], op);
    v.displs[r] = to_int(v.total, op);
    v.total += counts[r];
  }
  to_int(v.total, op);
  return v;
}

constexpr int64_t kAllReduceChunk = int64_t{1} << 30;

}  // namespace

Comm::Comm(MPI_Comm comm, std::string name, Watchdog* watchdog)
    : comm_(comm), name_(std::move(name)), watchdog_(watchdog) {
  if (comm_ != MPI_COMM_NULL) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
}

Comm::~Comm() { reset(); }

void Comm::reset() {
  if (comm_ != MPI_COMM_NULL && comm_ != MPI_COMM_WORLD && comm_ != MPI_COMM_SELF) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  comm_ = MPI_COMM_NULL;
  rank_ = -1;
  size_ = 0;
}

Comm::Comm(Comm&& o) noexcept
    : comm_(std::exchange(o.comm_, MPI_COMM_NULL)),
      name_(std::move(o.name_)),
      watchdog_(o.watchdog_),
      rank_(std::exchange(o.rank_, -1)),
      size_(std::exchange(o.size_, 0)),
      payload_bytes_(o.payload_bytes_) {}

Comm& Comm::operator=(Comm&& o) noexcept {
  if (this != &o) {
    reset();
    comm_ = std::exchange(o.comm_, MPI_COMM_NULL);
    name_ = std::move(o.name_);
    watchdog_ = o.watchdog_;
    rank_ = std::exchange(o.rank_, -1);
    size_ = std::exchange(o.size_, 0);
    payload_bytes_ = o.payload_bytes_;
  }
  return *this;
}

void Comm::require_member(const char* op) const {
  ASCENT_CHECK(member()) << "[parallel] " << op << " on group " << name_
                         << ": this rank is not a member";
}

std::vector<int> Comm::world_ranks() const {
  if (!member()) return {};
  MPI_Group group, world;
  MPI_Comm_group(comm_, &group);
  MPI_Comm_group(MPI_COMM_WORLD, &world);
  std::vector<int> local(size_), out(size_);
  for (int i = 0; i < size_; ++i) local[i] = i;
  MPI_Group_translate_ranks(group, size_, local.data(), world, out.data());
  MPI_Group_free(&group);
  MPI_Group_free(&world);
  return out;
}

template <typename T>
void Comm::all_reduce(T* data, int64_t n, ReduceOp op) const {
  require_member("all_reduce");
  count<T>(n);
  Watchdog::Scope scope(watchdog_, "all_reduce", &name_, -1, size_, n);
  for (int64_t off = 0; off < n; off += kAllReduceChunk) {
    const int c = static_cast<int>(std::min(kAllReduceChunk, n - off));
    MPI_Allreduce(MPI_IN_PLACE, data + off, c, mpi_type<T>(), mpi_op(op), comm_);
  }
}

template <typename T>
Request Comm::iall_reduce(T* data, int64_t n) const {
  require_member("iall_reduce");
  count<T>(n);
  Request r;
  r.op = "all_reduce";
  r.count = n;
  MPI_Iallreduce(MPI_IN_PLACE, data, to_int(n, "iall_reduce"), mpi_type<T>(), MPI_SUM, comm_,
                 &r.handle);
  return r;
}

template <typename T>
void Comm::reduce_scatter(const T* send, T* recv, const std::vector<int64_t>& counts) const {
  require_member("reduce_scatter");
  const VectorLayout v = vector_layout(counts, size_, "reduce_scatter");
  count<T>(v.total);
  Watchdog::Scope scope(watchdog_, "reduce_scatter", &name_, -1, size_, v.total);
  MPI_Reduce_scatter(send, recv, v.counts.data(), mpi_type<T>(), MPI_SUM, comm_);
}

template <typename T>
void Comm::reduce_scatter(const T* send, T* recv, int64_t count) const {
  require_member("reduce_scatter");
  this->count<T>(count * size_);
  Watchdog::Scope scope(watchdog_, "reduce_scatter", &name_, -1, size_, count * size_);
  MPI_Reduce_scatter_block(send, recv, to_int(count, "reduce_scatter"), mpi_type<T>(), MPI_SUM,
                           comm_);
}

template <typename T>
Request Comm::ireduce_scatter(const T* send, T* recv, const std::vector<int64_t>& counts) const {
  require_member("ireduce_scatter");
  VectorLayout v = vector_layout(counts, size_, "ireduce_scatter");
  count<T>(v.total);
  Request r;
  r.op = "reduce_scatter";
  r.count = v.total;
  r.counts = std::move(v.counts);
  MPI_Ireduce_scatter(send, recv, r.counts.data(), mpi_type<T>(), MPI_SUM, comm_, &r.handle);
  return r;
}

template <typename T>
void Comm::all_gather(const T* send, int64_t count, T* recv) const {
  require_member("all_gather");
  this->count<T>(count);
  Watchdog::Scope scope(watchdog_, "all_gather", &name_, -1, size_, count * size_);
  const int c = to_int(count, "all_gather");
  to_int(count * size_, "all_gather");
  MPI_Allgather(send, c, mpi_type<T>(), recv, c, mpi_type<T>(), comm_);
}

template <typename T>
void Comm::all_gather(const T* send, T* recv, const std::vector<int64_t>& counts) const {
  require_member("all_gather");
  const VectorLayout v = vector_layout(counts, size_, "all_gather");
  count<T>(v.counts[rank_]);
  Watchdog::Scope scope(watchdog_, "all_gather", &name_, -1, size_, v.total);
  MPI_Allgatherv(send, v.counts[rank_], mpi_type<T>(), recv, v.counts.data(), v.displs.data(),
                 mpi_type<T>(), comm_);
}

template <typename T>
void Comm::all_gather_in_place(T* buf, const std::vector<int64_t>& counts) const {
  require_member("all_gather");
  const VectorLayout v = vector_layout(counts, size_, "all_gather");
  count<T>(v.counts[rank_]);
  Watchdog::Scope scope(watchdog_, "all_gather", &name_, -1, size_, v.total);
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, v.counts.data(), v.displs.data(),
                 mpi_type<T>(), comm_);
}

template <typename T>
void Comm::broadcast(T* data, int64_t n, int root) const {
  require_member("broadcast");
  count<T>(n);
  ASCENT_CHECK(root >= 0 && root < size_)
      << "[parallel] broadcast root " << root << " outside group " << name_ << " of " << size_;
  Watchdog::Scope scope(watchdog_, "broadcast", &name_, -1, size_, n);
  MPI_Bcast(data, to_int(n, "broadcast"), mpi_type<T>(), root, comm_);
}

void Comm::broadcast(std::string& s, int root) const {
  int64_t n = static_cast<int64_t>(s.size());
  broadcast(&n, 1, root);
  s.resize(static_cast<size_t>(n));
  broadcast(reinterpret_cast<uint8_t*>(s.data()), n, root);
}

void Comm::barrier() const {
  require_member("barrier");
  Watchdog::Scope scope(watchdog_, "barrier", &name_, -1, size_, 0);
  MPI_Barrier(comm_);
}

template <typename T>
void Comm::send(const T* data, int64_t n, int peer, int tag) const {
  require_member("send");
  count<T>(n);
  Watchdog::Scope scope(watchdog_, "send", &name_, peer, size_, n);
  MPI_Send(data, to_int(n, "send"), mpi_type<T>(), peer, tag, comm_);
}

template <typename T>
void Comm::recv(T* data, int64_t n, int peer, int tag) const {
  require_member("recv");
  Watchdog::Scope scope(watchdog_, "recv", &name_, peer, size_, n);
  MPI_Recv(data, to_int(n, "recv"), mpi_type<T>(), peer, tag, comm_, MPI_STATUS_IGNORE);
}

template <typename T>
Request Comm::isend(const T* data, int64_t n, int peer, int tag) const {
  require_member("isend");
  count<T>(n);
  Request r;
  r.op = "send";
  r.peer = peer;
  r.count = n;
  MPI_Isend(data, to_int(n, "isend"), mpi_type<T>(), peer, tag, comm_, &r.handle);
  return r;
}

template <typename T>
Request Comm::irecv(T* data, int64_t n, int peer, int tag) const {
  require_member("irecv");
  Request r;
  r.op = "recv";
  r.peer = peer;
  r.count = n;
  MPI_Irecv(data, to_int(n, "irecv"), mpi_type<T>(), peer, tag, comm_, &r.handle);
  return r;
}

void Comm::wait(Request& r) const {
  if (!r.pending()) return;
  Watchdog::Scope scope(watchdog_, r.op, &name_, r.peer, size_, r.count);
  MPI_Wait(&r.handle, MPI_STATUS_IGNORE);
  r.counts.clear();
}

void Comm::wait_all(std::vector<Request>& rs) const {
  for (Request& r : rs) wait(r);
}

bool Comm::test(Request& r) const {
  if (!r.pending()) return true;
  int done = 0;
  MPI_Test(&r.handle, &done, MPI_STATUS_IGNORE);
  if (done) r.counts.clear();
  return done != 0;
}

#define ASCENT_COMM_REDUCE(T)                                     \
  template void Comm::all_reduce<T>(T*, int64_t, ReduceOp) const; \
  template Request Comm::iall_reduce<T>(T*, int64_t) const;
#define ASCENT_COMM_SCATTER(T)                                                            \
  template void Comm::reduce_scatter<T>(const T*, T*, const std::vector<int64_t>&) const; \
  template void Comm::reduce_scatter<T>(const T*, T*, int64_t) const;                     \
  template Request Comm::ireduce_scatter<T>(const T*, T*, const std::vector<int64_t>&) const;
#define ASCENT_COMM_MOVE(T)                                                           \
  template void Comm::all_gather<T>(const T*, int64_t, T*) const;                     \
  template void Comm::all_gather<T>(const T*, T*, const std::vector<int64_t>&) const; \
  template void Comm::all_gather_in_place<T>(T*, const std::vector<int64_t>&) const;  \
  template void Comm::broadcast<T>(T*, int64_t, int) const;                           \
  template void Comm::send<T>(const T*, int64_t, int, int) const;                     \
  template void Comm::recv<T>(T*, int64_t, int, int) const;                           \
  template Request Comm::isend<T>(const T*, int64_t, int, int) const;                 \
  template Request Comm::irecv<T>(T*, int64_t, int, int) const;

ASCENT_COMM_REDUCE(float)
ASCENT_COMM_REDUCE(double)
ASCENT_COMM_REDUCE(int64_t)
ASCENT_COMM_SCATTER(float)
ASCENT_COMM_SCATTER(double)
ASCENT_COMM_MOVE(float)
ASCENT_COMM_MOVE(double)
ASCENT_COMM_MOVE(int64_t)
ASCENT_COMM_MOVE(uint16_t)
ASCENT_COMM_MOVE(uint8_t)

}  // namespace ascent::parallel
