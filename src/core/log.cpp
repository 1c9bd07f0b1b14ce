#include "core/log.h"

#include <cstdlib>
#include <string>

namespace ascent {

void set_log_rank(int rank) {
  const bool all = std::getenv("ASCENT_LOG_ALL_RANKS") != nullptr;
  if (all) {
    spdlog::set_pattern("[r" + std::to_string(rank) + "] %v");
  } else {
    spdlog::set_pattern("%v");
    if (rank != 0) spdlog::set_level(spdlog::level::warn);
  }
}

void set_log_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace ascent
