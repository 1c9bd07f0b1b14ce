#pragma once
// The training-curves figure of `ascent plot`: four panels against iterations (loss with the
// validation loss dashed, learning rate, gradient norm, tokens/s), every run overlaid in its own
// color, each panel with its axes, ticks and legend.
#include <string>
#include <vector>

#include "plot/canvas.h"

namespace ascent::plot {

struct Run {
  std::string label;
  // (iteration, value) in iteration order.
  std::vector<Point> loss, validation, lr, grad_norm, tokens_per_s;
};

struct ChartOptions {
  int width = 1200, height = 800;
};

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

constexpr int kPanels = 4;
// Panel i's title: "loss", "learning rate", "grad norm", "tokens/s".
const char* panel_title(int i);
// Panel i's plotting area (inside its axes).
Rect panel_area(int i, const ChartOptions& o);
// The color of run i (a fixed palette, repeating after 8 runs).
Color run_color(size_t i);
// About `target` round tick values ({1, 2, 5} x 10^k apart) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

void draw_chart(const std::vector<Run>& runs, const ChartOptions& o, Canvas& canvas);

}  // namespace ascent::plot
