#include "preprocess/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "core/log.h"

namespace ascent::preprocess {
namespace {

// "12.3k", "4.56M", "7.89G".
std::string human(double v) {
  if (v >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string clock(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(int64_t total_bytes, int64_t log_interval, std::FILE* out,
                   std::function<void(const std::string&)> log, double min_redraw_seconds)
    : total_bytes_(total_bytes),
      log_interval_(log_interval),
      out_(out),
      log_(std::move(log)),
      min_redraw_(min_redraw_seconds),
      next_report_(log_interval) {
  if (!log_) log_ = [](const std::string& line) { ASCENT_LOG_INFO("{}", line); };
}

Progress::~Progress() {
  if (bar_open_) std::fputc('\n', out_);
}

void Progress::update(int64_t documents, int64_t tokens, int64_t bytes_done) {
  documents_ = documents;
  tokens_ = tokens;
  bytes_ = bytes_done;
  if (documents_ < next_report_) return;
  if (out_) {
    const double now = timer_.seconds();
    if (now - last_draw_ < min_redraw_) return;  // a later batch shows it
    last_draw_ = now;
    draw(false);
  } else {
    log_line();
  }
  next_report_ = (documents_ / log_interval_ + 1) * log_interval_;
}

void Progress::finish() {
  if (out_) {
    draw(true);
    std::fputc('\n', out_);
    std::fflush(out_);
    bar_open_ = false;
  } else if (shown_docs_ >= 0 && shown_docs_ != documents_) {
    log_line();  // the final count, unless the last line already showed it
  }
}

void Progress::draw(bool final) {
  const double secs = std::max(timer_.seconds(), 1e-9);
  const double frac =
      total_bytes_ > 0 ? std::clamp(static_cast<double>(bytes_) / total_bytes_, 0.0, 1.0) : 0.0;
  std::string line = "\r[preprocess] ";
  if (total_bytes_ > 0) {
    constexpr int kWidth = 24;
    const int filled = final ? kWidth : static_cast<int>(frac * kWidth);
    line += '[';
    line.append(static_cast<size_t>(filled), '#');
    line.append(static_cast<size_t>(kWidth - filled), '-');
    line += "] ";
    line += fmt::format("{:3.0f}%  ", final ? 100.0 : frac * 100);
  }
  line += fmt::format("{} docs  {} tokens  {:.1f} MB/s  {}/s", human(documents_), human(tokens_),
                      bytes_ / secs / 1e6, human(tokens_ / secs));
  if (final)
    line += "  " + clock(secs);
  else if (total_bytes_ > 0 && frac > 0)
    line += "  ETA " + clock(secs * (1 - frac) / frac);
  line += "   ";  // covers the tail of a longer previous line
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
  bar_open_ = true;
  shown_docs_ = documents_;
}

void Progress::log_line() {
  const double secs = std::max(timer_.seconds(), 1e-9);
  std::string eta;
  if (total_bytes_ > 0 && bytes_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(bytes_) / total_bytes_);
    eta = fmt::format(", {:.0f}%, ETA {}", frac * 100, clock(secs * (1 - frac) / frac));
  }
  log_(fmt::format("[preprocess] {} documents, {} tokens, {:.2f} MB/s, {:.0f} tokens/s{}",
                   documents_, tokens_, bytes_ / secs / 1e6, tokens_ / secs, eta));
  shown_docs_ = documents_;
}

}  // namespace ascent::preprocess
