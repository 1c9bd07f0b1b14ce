#include "core/log.h"

#include <spdlog/pattern_formatter.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace ascent {
namespace {

// The "%*" of the pattern: the rank (when every rank speaks) and the level, where it is not info.
class PrefixFlag : public spdlog::custom_flag_formatter {
 public:
  explicit PrefixFlag(std::string rank_prefix) : rank_prefix_(std::move(rank_prefix)) {}

  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view level;
    if (msg.level == spdlog::level::warn) level = "warning: ";
    if (msg.level >= spdlog::level::err) level = "error: ";
    dest.append(rank_prefix_.data(), rank_prefix_.data() + rank_prefix_.size());
    dest.append(level.data(), level.data() + level.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PrefixFlag>(rank_prefix_);
  }

 private:
  std::string rank_prefix_;
};

void apply_style(const std::string& rank_prefix) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<PrefixFlag>('*', rank_prefix).set_pattern("%*%v");
  spdlog::set_formatter(std::move(formatter));
}

}  // namespace

void init_logging() { apply_style(""); }

void set_log_rank(int rank) {
  const bool all = std::getenv("ASCENT_LOG_ALL_RANKS") != nullptr;
  if (all) {
    apply_style("[r" + std::to_string(rank) + "] ");
  } else {
    apply_style("");
    if (rank != 0) spdlog::set_level(spdlog::level::warn);
  }
}

void set_log_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace ascent
