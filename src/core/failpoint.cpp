#include "core/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace ascent::failpoint {
namespace {

enum class Action { kKill, kTerm, kExit, kErrno };

struct Point {
  std::string name;
  Action action = Action::kKill;
  int error = 0;  // kErrno: the errno to report
};

struct Config {
  std::vector<Point> points;  // empty: no failpoint
  int rank = -1;              // -1: every rank
};

Point parse_point(const std::string& item, const std::string& spec) {
  Point p;
  const size_t colon = item.find(':');
  p.name = item.substr(0, colon);
  const std::string action = colon == std::string::npos ? "kill" : item.substr(colon + 1);
  if (p.name.empty()) throw error("[failpoint] ASCENT_FAILPOINT=", spec, ": no point named");
  const struct {
    const char* name;
    Action action;
    int error;
  } actions[] = {{"kill", Action::kKill, 0},   {"term", Action::kTerm, 0},
                 {"exit", Action::kExit, 0},   {"enospc", Action::kErrno, ENOSPC},
                 {"eio", Action::kErrno, EIO}, {"einval", Action::kErrno, EINVAL}};
  for (const auto& a : actions)
    if (action == a.name) {
      p.action = a.action;
      p.error = a.error;
      return p;
    }
  throw error("[failpoint] ASCENT_FAILPOINT=", spec, ": unknown action '", action,
              "'; use kill, term, exit, enospc, eio or einval");
}

// "point[:action][,point[:action]...]"
Config parse(const std::string& spec, int rank) {
  Config c;
  c.rank = rank;
  size_t start = 0;
  while (start < spec.size()) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    c.points.push_back(parse_point(spec.substr(start, comma - start), spec));
    start = comma + 1;
  }
  return c;
}

// This process's rank under a launcher, else 0.
int launcher_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return 0;
}

Config& config() {
  static Config c;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* spec = std::getenv("ASCENT_FAILPOINT");
    const char* rank = std::getenv("ASCENT_FAILPOINT_RANK");
    c = parse(spec ? spec : "", rank && *rank ? std::atoi(rank) : -1);
  });
  return c;
}

}  // namespace

int hit(const char* point) {
  const Config& c = config();
  if (c.points.empty()) return 0;
  const auto p = std::find_if(c.points.begin(), c.points.end(),
                              [&](const Point& q) { return q.name == point; });
  if (p == c.points.end() || (c.rank >= 0 && c.rank != launcher_rank())) return 0;
  // On stderr, so that a test's log shows where the process stopped.
  std::fprintf(stderr, "failpoint %s fired (rank %d)\n", point, launcher_rank());
  std::fflush(stderr);
  switch (p->action) {
    case Action::kKill:
      raise(SIGKILL);
      break;
    case Action::kTerm:
      raise(SIGTERM);
      return 0;
    case Action::kExit:
      _exit(kFailpointExitStatus);
    case Action::kErrno:
      return p->error;
  }
  return 0;
}

void configure(const std::string& spec, int rank) { config() = parse(spec, rank); }

}  // namespace ascent::failpoint
