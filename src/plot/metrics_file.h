#pragma once
// Reads the curves of one run from its --metrics-file (train/iteration_log.h: one JSON object
// per iteration with loss, lr, grad_norm, tokens_per_s and, on evaluated iterations,
// validation_loss). Null values (a skipped fp16 step's gradient norm) are left out. A resumed
// run appends to the same file: an iteration at or below one already read replaces the points
// from there on.
#include <string>

#include "plot/chart.h"

namespace ascent::plot {

// Throws ascent::Error "[plot] --metrics-file PATH line N: ..." for unreadable files and lines.
Run read_metrics_file(const std::string& path, const std::string& label);

}  // namespace ascent::plot
