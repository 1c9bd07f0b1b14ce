// /proc/meminfo's MemAvailable line, and the figure the kernel gives this process.
#include "core/system_memory.h"

#include <gtest/gtest.h>

namespace ascent {
namespace {

TEST(SystemMemory, ParsesMemAvailable) {
  const std::string meminfo =
      "MemTotal:       24683748 kB\nMemFree:          500000 kB\n"
      "MemAvailable:   23204588 kB\nBuffers:          123 kB\n";
  EXPECT_EQ(parse_mem_available(meminfo), int64_t{23204588} * 1024);
  EXPECT_EQ(parse_mem_available("MemTotal: 1 kB\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemAvailable: lots\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemAvailable: 12 MB\n"), std::nullopt);
}

TEST(SystemMemory, ThisMachineReportsSomething) {
  const std::optional<AvailableMemory> m = available_memory();
  ASSERT_TRUE(m.has_value()) << "Linux has /proc/meminfo";
  EXPECT_GT(m->bytes, 0);
  EXPECT_FALSE(m->source.empty());
}

}  // namespace
}  // namespace ascent
