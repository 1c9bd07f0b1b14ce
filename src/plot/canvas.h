#pragma once
// A drawing surface in pixels (origin at the top left, y down). The chart draws through it once;
// SvgCanvas and RasterCanvas (for PNG) are the two surfaces.
#include <cstdint>
#include <string_view>
#include <vector>

namespace ascent::plot {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color&) const = default;
};

struct Point {
  double x = 0, y = 0;
};

enum class Anchor { kStart, kMiddle, kEnd };

class Canvas {
 public:
  virtual ~Canvas() = default;
  // A named part of the figure (a panel); SVG keeps it as a <g>, pixels ignore it.
  virtual void begin_group(std::string_view kind, std::string_view name) = 0;
  virtual void end_group() = 0;
  virtual void fill_rect(Point top_left, Point size, Color fill) = 0;
  virtual void line(Point a, Point b, Color color, double width) = 0;
  // One data series: `name` labels it (SVG data-series attribute); dashed for evaluation curves.
  virtual void polyline(const std::vector<Point>& points, Color color, double width, bool dashed,
                        std::string_view name) = 0;
  virtual void marker(Point center, Color color, double radius) = 0;
  // `at.y` is the vertical middle of the text; `size` its height in pixels.
  virtual void text(Point at, std::string_view s, double size, Anchor anchor, Color color) = 0;
};

}  // namespace ascent::plot
