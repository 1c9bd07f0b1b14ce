// parallel_failure_helper MODE TAG [TIMEOUT_MINUTES]: a small MPI job that fails in one chosen
// way, run by failure_test.sh under mpirun to check the whole job ends promptly and non-zero.
//   ok     every rank all-reduces a few times and exits 0 (the control)
//   stop   rank 1 stops itself (SIGSTOP) before an all-reduce: the others' watchdog must fire
//   kill   rank 1 is killed (SIGKILL) at iteration 3: mpirun must tear the job down
//   check  rank 1 fails an ASCENT_CHECK while the others wait in an all-reduce: MPI_Abort
//   flags  rank 1 has a different --lr: every rank fails naming the flag
// TAG is only there so the test can find leftover processes by their command line.
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "parallel/flag_agreement.h"
#include "parallel/mpi_env.h"
#include "parallel/topology.h"

namespace ascent::parallel {
namespace {

int run(const std::string& mode, double timeout_minutes, const MpiEnv& env) {
  Watchdog watchdog(env.world_rank(), timeout_minutes * 60.0);
  ParallelConfig cfg;
  cfg.distributed_timeout_minutes = timeout_minutes;
  Topology topo(cfg, &watchdog);
  const Comm& dp = topo.dp();
  std::vector<float> x(1000, 1.f);
  if (mode == "flags") {
    FlagList flags = {{"lr", topo.world_rank() == 1 ? "0.5" : "0.1"}, {"seed", "1"}};
    check_flag_agreement(topo.world(), flags);
    return 0;
  }
  for (int it = 0; it < 6; ++it) {
    watchdog.set_iteration(it);
    if (topo.world_rank() == 1 && it == 3) {
      if (mode == "stop") raise(SIGSTOP);
      if (mode == "kill") raise(SIGKILL);
      if (mode == "check") ASCENT_CHECK(it != 3) << "[failure_helper] rank 1 gives up";
    }
    dp.all_reduce(x.data(), static_cast<int64_t>(x.size()));
  }
  ASCENT_CHECK(x[0] == static_cast<float>(std::pow(dp.size(), 6))) << "all_reduce result";
  if (topo.world_rank() == 0) std::printf("ok: %d ranks, 6 all-reduces\n", topo.world_size());
  return 0;
}

}  // namespace
}  // namespace ascent::parallel

int main(int argc, char** argv) {
  ascent::parallel::MpiEnv env(&argc, &argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: parallel_failure_helper MODE TAG [TIMEOUT_MINUTES]\n");
    return 2;
  }
  const double timeout_minutes = argc > 3 ? std::atof(argv[3]) : 1.0;
  try {
    return ascent::parallel::run(argv[1], timeout_minutes, env);
  } catch (const ascent::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
