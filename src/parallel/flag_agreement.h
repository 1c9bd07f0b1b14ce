#pragma once
// Flag agreement: every rank of a job must run with the same configuration (model shape, batch,
// parallel layout, seed, ...). A rank started with a different flag would otherwise hang or
// silently train something else. The trainer passes the effective flags minus the rank-local ones
// (log file, local rank) as (name, value) pairs, e.g. its JSON config flattened with dump().
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "parallel/comm.h"

namespace ascent::parallel {

using FlagList = std::vector<std::pair<std::string, std::string>>;

// 64-bit FNV-1a over the flags sorted by name (the order given does not matter).
uint64_t hash_flags(const FlagList& flags);

// Collective over `comm`. Returns when every rank's flags hash the same. Otherwise every rank
// throws the same ascent::Error naming the ranks that differ from rank 0 and the flags that
// differ, with both values, e.g.
//   [parallel] flags differ across ranks: rank 2: --lr 0.002 (rank 0: 0.001)
void check_flag_agreement(const Comm& comm, const FlagList& flags);

}  // namespace ascent::parallel
