#pragma once
// A Canvas that writes SVG by hand: each panel a <g class="panel" data-name="...">, each data
// series a <polyline class="series" data-series="..." points="x,y ...">.
#include <string>

#include "plot/canvas.h"

namespace ascent::plot {

class SvgCanvas final : public Canvas {
 public:
  SvgCanvas(int width, int height);
  void begin_group(std::string_view kind, std::string_view name) override;
  void end_group() override;
  void fill_rect(Point top_left, Point size, Color fill) override;
  void line(Point a, Point b, Color color, double width) override;
  void polyline(const std::vector<Point>& points, Color color, double width, bool dashed,
                std::string_view name) override;
  void marker(Point center, Color color, double radius) override;
  void text(Point at, std::string_view s, double size, Anchor anchor, Color color) override;
  // The finished document.
  std::string svg() const { return body_ + "</svg>\n"; }

 private:
  std::string body_;
};

}  // namespace ascent::plot
