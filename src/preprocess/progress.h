#pragma once
// Progress of a preprocessing run: documents, tokens, input MB/s and ETA (from the input bytes
// consumed). On a terminal, a bar redrawn in place on stderr (at most 10 times a second);
// otherwise plain log lines every --log-interval documents (none in the first 2 s, then at most
// one every 2 s).
#include <cstdint>
#include <cstdio>

#include "core/timer.h"

namespace ascent::preprocess {

class Progress {
 public:
  // total_bytes: on-disk size of the input (0 when unknown: no percentage or ETA). `out`: where
  // the bar goes (a terminal); nullptr = plain log lines.
  Progress(int64_t total_bytes, int64_t log_interval, std::FILE* out);
  ~Progress();  // ends an open bar line (a run that stopped early)
  // After each written batch: running totals.
  void update(int64_t documents, int64_t tokens, int64_t bytes_done);
  // Ends the bar's line (terminal) or prints a last line.
  void finish();

 private:
  void draw(bool final);
  void log_line();

  int64_t total_bytes_, log_interval_;
  std::FILE* out_;
  Timer timer_;
  int64_t documents_ = 0, tokens_ = 0, bytes_ = 0;
  int64_t next_log_ = 0;
  double last_draw_ = -1.0, last_log_ = -1.0;
  bool bar_open_ = false;  // a bar line was drawn and not ended
};

}  // namespace ascent::preprocess
