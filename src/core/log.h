#pragma once
// Logging through spdlog, in one style for every command: the message alone, "warning: " or
// "error: " before warnings and errors (main() prints a failed command's error the same way),
// and "[rN] " first when every rank of an MPI job speaks. Rank 0 speaks by default;
// set_log_rank() makes other ranks print warnings and errors only, unless ASCENT_LOG_ALL_RANKS
// is set.
#include <spdlog/spdlog.h>

#include <string>

namespace ascent {

// Applies the style to the default logger (main() calls it before any command runs).
void init_logging();
void set_log_rank(int rank);
void set_log_level(const std::string& level);  // "debug", "info", "warn", "error"

}  // namespace ascent

#define ASCENT_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define ASCENT_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define ASCENT_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
