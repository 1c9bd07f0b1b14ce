#pragma once
// Progress of a preprocessing run: documents, tokens, input MB/s and ETA (from the on-disk input
// bytes behind the documents written). Updated every --log-interval documents (at most once per
// written batch): on a terminal a bar redrawn in place on stderr (at most 10 times a second),
// otherwise a log line. The last state is shown once more at the end only when it was not shown
// yet.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "core/timer.h"

namespace ascent::preprocess {

class Progress {
 public:
  // total_bytes: on-disk size of the input (0 when unknown: no percentage or ETA). `out`: where
  // the bar goes (a terminal); nullptr = log lines through `log` (default: the project's logger).
  Progress(int64_t total_bytes, int64_t log_interval, std::FILE* out,
           std::function<void(const std::string&)> log = nullptr, double min_redraw_seconds = 0.1);
  ~Progress();  // ends an open bar line (a run that stopped early)
  // After each written batch: running totals.
  void update(int64_t documents, int64_t tokens, int64_t bytes_done);
  // Ends the bar's line (terminal) or logs the final counts when the last line did not show them.
  void finish();

 private:
  void draw(bool final);
  void log_line();

  int64_t total_bytes_, log_interval_;
  std::FILE* out_;
  std::function<void(const std::string&)> log_;
  double min_redraw_;
  Timer timer_;
  int64_t documents_ = 0, tokens_ = 0, bytes_ = 0;
  int64_t next_report_ = 0;  // documents at which the next update shows
  int64_t shown_docs_ = -1;  // documents in the last line or bar shown
  double last_draw_ = -1e9;  // when the bar was last drawn
  bool bar_open_ = false;    // a bar line was drawn and not ended
};

}  // namespace ascent::preprocess
