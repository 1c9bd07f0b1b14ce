#pragma once
// How much memory this process may still take, read from the kernel: MemAvailable of
// /proc/meminfo, lowered to what a container's cgroup limit leaves (cgroup v2 memory.max minus
// memory.current, or v1 memory.limit_in_bytes minus memory.usage_in_bytes).
#include <cstdint>
#include <optional>
#include <string>

namespace ascent {

struct AvailableMemory {
  int64_t bytes = 0;
  std::string source;  // where the figure comes from, for messages: "MemAvailable in /proc/meminfo"
};

// nullopt where /proc/meminfo cannot be read (not Linux).
std::optional<AvailableMemory> available_memory();

// The MemAvailable line of /proc/meminfo's text, in bytes; nullopt when absent or malformed.
std::optional<int64_t> parse_mem_available(const std::string& meminfo);

}  // namespace ascent
