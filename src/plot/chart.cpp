#include "plot/chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace ascent::plot {
namespace {

constexpr Color kInk{40, 40, 40}, kGrid{225, 225, 225}, kWhite{255, 255, 255};
constexpr double kTextSize = 14, kTitleSize = 16;

struct Curve {
  const std::vector<Point>* points;
  Color color;
  bool dashed;
  std::string name;
};

std::vector<Curve> panel_curves(int panel, const std::vector<Run>& runs) {
  std::vector<Curve> curves;
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    const Color c = run_color(r);
    switch (panel) {
      case 0:
        curves.push_back({&run.loss, c, false, run.label + " train"});
        if (!run.validation.empty())
          curves.push_back({&run.validation, c, true, run.label + " validation"});
        break;
      case 1:
        curves.push_back({&run.lr, c, false, run.label});
        break;
      case 2:
        curves.push_back({&run.grad_norm, c, false, run.label});
        break;
      default:
        curves.push_back({&run.tokens_per_s, c, false, run.label});
        break;
    }
  }
  return curves;
}

// The axis range: the ticks' span around the data plus a margin, so that no curve runs along an
// axis (a flat series gets some room; a positive series keeps a non-negative axis).
std::vector<double> axis_ticks(double lo, double hi) {
  if (!(lo <= hi)) lo = 0, hi = 1;
  double pad = 0.05 * (hi - lo);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
  return nice_ticks(lo >= 0 ? std::max(0.0, lo - pad) : lo - pad, hi + pad);
}

std::string tick_text(double v, double step) {
  if (std::abs(v) < step * 1e-6) v = 0;
  return fmt::format("{:.6g}", v);
}

struct Axes {
  Rect area;
  double x0, x1, y0, y1;
  Point map(Point p) const {
    return {area.x + (p.x - x0) / (x1 - x0) * area.w,
            area.y + area.h - (p.y - y0) / (y1 - y0) * area.h};
  }
};

Axes draw_axes(const Rect& a, const std::vector<double>& xt, const std::vector<double>& yt,
               Canvas& canvas) {
  Axes ax{a, xt.front(), xt.back(), yt.front(), yt.back()};
  canvas.fill_rect({a.x, a.y}, {a.w, a.h}, kWhite);
  const double xs = xt.size() > 1 ? xt[1] - xt[0] : 1, ys = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : yt) {
    const double y = ax.map({ax.x0, v}).y;
    canvas.line({a.x, y}, {a.x + a.w, y}, kGrid, 1);
    canvas.line({a.x - 5, y}, {a.x, y}, kInk, 1);
    canvas.text({a.x - 8, y}, tick_text(v, ys), kTextSize, Anchor::kEnd, kInk);
  }
  for (double v : xt) {
    const double x = ax.map({v, ax.y0}).x;
    canvas.line({x, a.y}, {x, a.y + a.h}, kGrid, 1);
    canvas.line({x, a.y + a.h}, {x, a.y + a.h + 5}, kInk, 1);
    canvas.text({x, a.y + a.h + 16}, tick_text(v, xs), kTextSize, Anchor::kMiddle, kInk);
  }
  canvas.line({a.x, a.y}, {a.x, a.y + a.h}, kInk, 1);
  canvas.line({a.x, a.y + a.h}, {a.x + a.w, a.y + a.h}, kInk, 1);
  return ax;
}

// The legend goes in the corner of the plotting area that hides the fewest data points.
void draw_legend(const std::vector<Curve>& curves, const std::vector<std::vector<Point>>& mapped,
                 const Rect& a, Canvas& canvas) {
  size_t longest = 0;
  for (const Curve& c : curves) longest = std::max(longest, c.name.size());
  const double w = 8.4 * static_cast<double>(longest) + 56, h = 18.0 * curves.size() + 8;
  Point best{};
  size_t fewest = SIZE_MAX;
  for (const Point corner :
       {Point{a.x + a.w - w - 4, a.y + 4}, Point{a.x + 4, a.y + 4},
        Point{a.x + a.w - w - 4, a.y + a.h - h - 4}, Point{a.x + 4, a.y + a.h - h - 4}}) {
    size_t hidden = 0;
    for (const auto& points : mapped)
      for (const Point& p : points)
        hidden += p.x >= corner.x - 4 && p.x <= corner.x + w + 4 && p.y >= corner.y - 4 &&
                  p.y <= corner.y + h + 4;
    if (hidden < fewest) fewest = hidden, best = corner;
  }
  canvas.fill_rect(best, {w, h}, kWhite);
  double y = best.y + 13;
  for (const Curve& c : curves) {
    const double x = best.x + w - 8;
    canvas.text({x - 34, y}, c.name, kTextSize, Anchor::kEnd, kInk);
    canvas.polyline({{x - 28, y}, {x, y}}, c.color, 2, c.dashed, "legend");
    y += 18;
  }
}

void draw_panel(int panel, const std::vector<Run>& runs, double max_iteration,
                const ChartOptions& o, Canvas& canvas) {
  const std::vector<Curve> curves = panel_curves(panel, runs);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Curve& c : curves)
    for (const Point& p : *c.points) lo = std::min(lo, p.y), hi = std::max(hi, p.y);
  const Rect a = panel_area(panel, o);
  canvas.begin_group("panel", panel_title(panel));
  const Axes ax = draw_axes(a, nice_ticks(0, max_iteration), axis_ticks(lo, hi), canvas);
  canvas.text({a.x + a.w / 2, a.y - 14}, panel_title(panel), kTitleSize, Anchor::kMiddle, kInk);
  canvas.text({a.x + a.w / 2, a.y + a.h + 36}, "iteration", kTextSize, Anchor::kMiddle, kInk);
  std::vector<std::vector<Point>> mapped;
  for (const Curve& c : curves) {
    std::vector<Point>& px = mapped.emplace_back();
    for (const Point& p : *c.points) px.push_back(ax.map(p));
    canvas.polyline(px, c.color, 2, c.dashed, c.name);
    if (c.dashed)
      for (const Point& p : px) canvas.marker(p, c.color, 3);
  }
  draw_legend(curves, mapped, a, canvas);
  canvas.end_group();
}

}  // namespace

const char* panel_title(int i) {
  static const std::array<const char*, kPanels> titles = {"loss", "learning rate", "grad norm",
                                                          "tokens/s"};
  return titles.at(static_cast<size_t>(i));
}

Rect panel_area(int i, const ChartOptions& o) {
  // A 2 x 2 grid; each cell keeps room for tick labels (left), the title (top) and the x label.
  const double cw = o.width / 2.0, ch = o.height / 2.0;
  const double left = 80, right = 24, top = 36, bottom = 52;
  return {(i % 2) * cw + left, (i / 2) * ch + top, cw - left - right, ch - top - bottom};
}

Color run_color(size_t i) {
  static const std::array<Color, 8> palette = {{{31, 119, 180},
                                                {214, 39, 40},
                                                {44, 160, 44},
                                                {255, 127, 14},
                                                {148, 103, 189},
                                                {140, 86, 75},
                                                {227, 119, 194},
                                                {23, 190, 207}}};
  return palette[i % palette.size()];
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9) * step;
  for (double v = first; v < hi + step * (1 - 1e-9); v += step) ticks.push_back(v);
  if (ticks.size() < 2) ticks.push_back(ticks.back() + step);
  return ticks;
}

void draw_chart(const std::vector<Run>& runs, const ChartOptions& o, Canvas& canvas) {
  canvas.fill_rect({0, 0}, {static_cast<double>(o.width), static_cast<double>(o.height)},
                   {248, 248, 248});
  double max_iteration = 1;
  for (const Run& r : runs)
    if (!r.loss.empty()) max_iteration = std::max(max_iteration, r.loss.back().x);
  for (int p = 0; p < kPanels; ++p) draw_panel(p, runs, max_iteration, o, canvas);
}

}  // namespace ascent::plot
