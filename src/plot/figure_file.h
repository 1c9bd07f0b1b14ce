#pragma once
// Writes the training-curves chart of some runs to a file, SVG or PNG by the file's extension.
#include <string>
#include <vector>

#include "plot/chart.h"

namespace ascent::plot {

// Throws ascent::Error "[plot] -o PATH: ..." for another extension or an unwritable path.
void write_figure(const std::vector<Run>& runs, const std::string& path,
                  const ChartOptions& o = {});

}  // namespace ascent::plot
