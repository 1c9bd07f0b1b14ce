#pragma once
// MpiEnv: MPI initialisation and finalisation as one RAII object owned by main().
//
// Initialises with MPI_THREAD_FUNNELED: only the main thread calls MPI (OpenMP workers and the
// watchdog thread never do). Installs the ASCENT_CHECK abort hook so a failed invariant on any
// rank calls MPI_Abort and takes every rank down. If MPI was already initialised (by a test
// harness), the object neither re-initialises nor finalises.
namespace ascent::parallel {

class MpiEnv {
 public:
  MpiEnv(int* argc, char*** argv);
  ~MpiEnv();
  MpiEnv(const MpiEnv&) = delete;
  MpiEnv& operator=(const MpiEnv&) = delete;

  int world_rank() const { return rank_; }
  int world_size() const { return size_; }

 private:
  bool owns_ = false;
  int rank_ = 0, size_ = 1;
};

}  // namespace ascent::parallel
