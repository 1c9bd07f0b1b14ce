#include "core/system_memory.h"

#include <fstream>
#include <sstream>

namespace ascent {
namespace {

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// A cgroup memory figure in bytes; nullopt for "max" (no limit), an absent file or junk.
std::optional<int64_t> read_bytes(const char* path) {
  const std::optional<std::string> text = read_text(path);
  if (!text) return std::nullopt;
  std::istringstream is(*text);
  int64_t v = -1;
  if (!(is >> v) || v < 0) return std::nullopt;
  return v;
}

// What the container's limit leaves, where a limit is set.
std::optional<int64_t> cgroup_headroom() {
  const char* pairs[][2] = {{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
                            {"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                             "/sys/fs/cgroup/memory/memory.usage_in_bytes"}};
  for (const auto& p : pairs) {
    const std::optional<int64_t> limit = read_bytes(p[0]), used = read_bytes(p[1]);
    // v1 writes "no limit" as a huge page-rounded number.
    if (limit && used && *limit < (int64_t{1} << 60)) return *limit > *used ? *limit - *used : 0;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> parse_mem_available(const std::string& meminfo) {
  std::istringstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    int64_t kib = -1;
    std::string unit;
    if (!(fields >> kib >> unit) || kib < 0 || unit != "kB") return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

std::optional<AvailableMemory> available_memory() {
  const std::optional<std::string> meminfo = read_text("/proc/meminfo");
  if (!meminfo) return std::nullopt;
  const std::optional<int64_t> avail = parse_mem_available(*meminfo);
  if (!avail) return std::nullopt;
  AvailableMemory m{*avail, "MemAvailable in /proc/meminfo"};
  if (const std::optional<int64_t> headroom = cgroup_headroom(); headroom && *headroom < m.bytes)
    m = AvailableMemory{*headroom, "the cgroup memory limit minus its usage"};
  return m;
}

}  // namespace ascent
