#include "plot/raster_canvas.h"

#include <algorithm>
#include <cmath>

#include "plot/bitmap_font.h"

namespace ascent::plot {
namespace {

constexpr double kDashOn = 6, kDashPeriod = 10;  // as the SVG's stroke-dasharray="6 4"

}  // namespace

RasterCanvas::RasterCanvas(int width, int height)
    : width_(width), height_(height), rgb_(static_cast<size_t>(width) * height * 3, 255) {}

void RasterCanvas::set(int x, int y, Color c) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  uint8_t* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = c.r, p[1] = c.g, p[2] = c.b;
}

Color RasterCanvas::pixel(int x, int y) const {
  const uint8_t* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void RasterCanvas::dot(double x, double y, int size, Color c) {
  const int x0 = static_cast<int>(std::lround(x - (size - 1) / 2.0));
  const int y0 = static_cast<int>(std::lround(y - (size - 1) / 2.0));
  for (int dy = 0; dy < size; ++dy)
    for (int dx = 0; dx < size; ++dx) set(x0 + dx, y0 + dy, c);
}

void RasterCanvas::fill_rect(Point p, Point size, Color fill) {
  const int x0 = static_cast<int>(std::lround(p.x)), y0 = static_cast<int>(std::lround(p.y));
  const int x1 = static_cast<int>(std::lround(p.x + size.x));
  const int y1 = static_cast<int>(std::lround(p.y + size.y));
  for (int y = std::max(0, y0); y < std::min(height_, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(width_, x1); ++x) set(x, y, fill);
}

void RasterCanvas::segment(Point a, Point b, Color color, int width, double* dash) {
  // Bresenham's walk from a to b, one pixel step at a time along the longer axis.
  const int steps = static_cast<int>(std::ceil(std::max(std::abs(b.x - a.x), std::abs(b.y - a.y))));
  const double step_len = steps > 0 ? std::hypot(b.x - a.x, b.y - a.y) / steps : 0;
  for (int i = 0; i <= steps; ++i) {
    const double t = steps > 0 ? static_cast<double>(i) / steps : 0;
    const bool ink = dash == nullptr || std::fmod(*dash, kDashPeriod) < kDashOn;
    if (ink) dot(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, width, color);
    if (dash && i < steps) *dash += step_len;
  }
}

void RasterCanvas::line(Point a, Point b, Color color, double width) {
  segment(a, b, color, std::max(1, static_cast<int>(std::lround(width))), nullptr);
}

void RasterCanvas::polyline(const std::vector<Point>& points, Color color, double width,
                            bool dashed, std::string_view) {
  const int w = std::max(1, static_cast<int>(std::lround(width)));
  double walked = 0;
  if (points.size() == 1) dot(points[0].x, points[0].y, w + 1, color);
  for (size_t i = 1; i < points.size(); ++i)
    segment(points[i - 1], points[i], color, w, dashed ? &walked : nullptr);
}

void RasterCanvas::marker(Point c, Color color, double radius) {
  const int r = static_cast<int>(std::ceil(radius));
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx)
      if (dx * dx + dy * dy <= radius * radius + 0.5)
        set(static_cast<int>(std::lround(c.x)) + dx, static_cast<int>(std::lround(c.y)) + dy,
            color);
}

void RasterCanvas::text(Point at, std::string_view s, double size, Anchor anchor, Color color) {
  // The 7-row glyph, plus a row of spacing above and below, fills `size` pixels.
  const int scale = std::max(1, static_cast<int>(std::lround(size / (kGlyphHeight + 2))));
  const double w = static_cast<double>(s.size()) * kGlyphAdvance * scale - scale;
  double x = at.x - (anchor == Anchor::kStart ? 0 : anchor == Anchor::kMiddle ? w / 2 : w);
  const int top = static_cast<int>(std::lround(at.y - kGlyphHeight * scale / 2.0));
  for (char ch : s) {
    const auto rows = glyph(ch);
    const int left = static_cast<int>(std::lround(x));
    for (int r = 0; r < kGlyphRows; ++r)
      for (int c = 0; c < kGlyphWidth; ++c)
        if (rows[r] >> (kGlyphWidth - 1 - c) & 1)
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx)
              set(left + c * scale + dx, top + r * scale + dy, color);
    x += kGlyphAdvance * scale;
  }
}

}  // namespace ascent::plot
