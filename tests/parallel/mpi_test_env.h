#pragma once
// Shared state of the multi-process test binary: the whole binary runs under mpirun, every rank
// runs every test in the same order, so collectives inside tests match up.
#include <cstdint>
#include <vector>

#include "parallel/comm.h"
#include "parallel/watchdog.h"

namespace ascent::parallel::testing {

// A duplicate of MPI_COMM_WORLD named "world", under a 60 s watchdog (a test that hangs fails
// with a message instead of waiting for mpirun's --timeout).
const Comm& world();
Watchdog* watchdog();

// Deterministic pseudo-random values for (seed, rank, i): the same on every rank, so each rank
// can compute what every other rank holds.
float value(uint64_t seed, int rank, int64_t i);
// Small integers in [-8, 8) scaled by 1/16: sums of a few of them are exact in f32.
float exact_value(uint64_t seed, int rank, int64_t i);

}  // namespace ascent::parallel::testing
