#pragma once
// Failpoints: named places where a test can make the process die or a step fail, to check what a
// crash or a full disk at that exact place leaves behind (docs/RELIABILITY.md lists the points).
//
//   ASCENT_FAILPOINT=checkpoint.rename_tmp          SIGKILL at that point (the default action)
//   ASCENT_FAILPOINT=checkpoint.write_shard:enospc  the step fails as if with ENOSPC
//   ASCENT_FAILPOINT=a:einval,b:kill                several points, each with its action
//   ASCENT_FAILPOINT_RANK=1                         only world rank 1 fires (default: every rank)
//
// Actions: kill (raise SIGKILL), term (raise SIGTERM: the process's handler, if any, decides),
// exit (_exit with status kFailpointExitStatus), enospc, eio, einval (hit() returns that errno and
// the caller fails the step with it, through its ordinary error path). The rank is read from the
// launcher's environment (Open MPI, PMIx, PMI); a process without one is rank 0.
// With ASCENT_FAILPOINT unset, hit() is a load and a compare.
#include <string>

namespace ascent::failpoint {

inline constexpr int kFailpointExitStatus = 86;

// Does what ASCENT_FAILPOINT asks at `point`. Returns 0 (nothing to do, or a term action whose
// signal was handled), or an errno the caller must treat as the failure of its next step. Does not
// return for kill and exit. Throws ascent::Error "[failpoint] ..." for a malformed variable.
int hit(const char* point);

// Tests: replaces the configuration read from the environment. `spec` as ASCENT_FAILPOINT ("" for
// none); `rank` as ASCENT_FAILPOINT_RANK (-1: every rank).
void configure(const std::string& spec, int rank = -1);

}  // namespace ascent::failpoint
