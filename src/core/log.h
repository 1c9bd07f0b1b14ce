#pragma once
// Logging through spdlog. Rank 0 speaks by default; set_log_rank() makes other ranks silent
// unless ASCENT_LOG_ALL_RANKS is set, in which case lines carry an "[rN]" prefix.
#include <spdlog/spdlog.h>

namespace ascent {

void set_log_rank(int rank);
void set_log_level(const std::string& level);  // "debug", "info", "warn", "error"

}  // namespace ascent

#define ASCENT_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define ASCENT_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define ASCENT_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
