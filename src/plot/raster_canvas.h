#pragma once
// A Canvas on an RGB pixel buffer (for PNG): lines stamped along Bresenham's walk, text in the
// 5x7 bitmap font scaled to the requested size.
#include <cstdint>
#include <vector>

#include "plot/canvas.h"

namespace ascent::plot {

class RasterCanvas final : public Canvas {
 public:
  RasterCanvas(int width, int height);
  void begin_group(std::string_view, std::string_view) override {}
  void end_group() override {}
  void fill_rect(Point top_left, Point size, Color fill) override;
  void line(Point a, Point b, Color color, double width) override;
  void polyline(const std::vector<Point>& points, Color color, double width, bool dashed,
                std::string_view name) override;
  void marker(Point center, Color color, double radius) override;
  void text(Point at, std::string_view s, double size, Anchor anchor, Color color) override;

  int width() const { return width_; }
  int height() const { return height_; }
  // Row-major RGB, 3 bytes per pixel.
  const std::vector<uint8_t>& rgb() const { return rgb_; }
  Color pixel(int x, int y) const;

 private:
  void set(int x, int y, Color c);
  void dot(double x, double y, int size, Color c);  // a size x size square centred there
  // Draws a to b; `dash` (when non-null) is the distance walked so far along a dashed line.
  void segment(Point a, Point b, Color color, int width, double* dash);
  int width_, height_;
  std::vector<uint8_t> rgb_;
};

}  // namespace ascent::plot
