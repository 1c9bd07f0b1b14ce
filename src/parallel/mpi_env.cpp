#include "parallel/mpi_env.h"

#include <mpi.h>

#include "core/error.h"

namespace ascent::parallel {
namespace {

void abort_all_ranks() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, 1);
}

}  // namespace

MpiEnv::MpiEnv(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    owns_ = true;
    ASCENT_CHECK(provided >= MPI_THREAD_FUNNELED)
        << "[parallel] MPI provides thread level " << provided << ", need MPI_THREAD_FUNNELED";
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  detail::set_abort_hook(abort_all_ranks);
}

MpiEnv::~MpiEnv() {
  if (!owns_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
  detail::set_abort_hook(nullptr);
}

}  // namespace ascent::parallel
