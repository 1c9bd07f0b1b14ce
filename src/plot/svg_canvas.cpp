#include "plot/svg_canvas.h"

#include <fmt/format.h>

namespace ascent::plot {
namespace {

std::string rgb(Color c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }

// Text and attribute values with XML's five special characters escaped.
std::string escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

SvgCanvas::SvgCanvas(int width, int height) {
  body_ = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
      width, height);
}

void SvgCanvas::begin_group(std::string_view kind, std::string_view name) {
  body_ += fmt::format("<g class=\"{}\" data-name=\"{}\">\n", escaped(kind), escaped(name));
}

void SvgCanvas::end_group() { body_ += "</g>\n"; }

void SvgCanvas::fill_rect(Point p, Point size, Color fill) {
  body_ += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
      "fill=\"{}\"/>\n",
      p.x, p.y, size.x, size.y, rgb(fill));
}

void SvgCanvas::line(Point a, Point b, Color color, double width) {
  body_ += fmt::format(
      "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
      "stroke=\"{}\" stroke-width=\"{:g}\"/>\n",
      a.x, a.y, b.x, b.y, rgb(color), width);
}

void SvgCanvas::polyline(const std::vector<Point>& points, Color color, double width, bool dashed,
                         std::string_view name) {
  std::string pts;
  for (const Point& p : points)
    pts += fmt::format("{}{:.2f},{:.2f}", pts.empty() ? "" : " ", p.x, p.y);
  body_ += fmt::format(
      "<polyline class=\"series\" data-series=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{}\" "
      "stroke-width=\"{:g}\" stroke-linejoin=\"round\"{}/>\n",
      escaped(name), pts, rgb(color), width, dashed ? " stroke-dasharray=\"6 4\"" : "");
}

void SvgCanvas::marker(Point c, Color color, double radius) {
  body_ +=
      fmt::format("<circle class=\"marker\" cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{:g}\" fill=\"{}\"/>\n",
                  c.x, c.y, radius, rgb(color));
}

void SvgCanvas::text(Point at, std::string_view s, double size, Anchor anchor, Color color) {
  const char* a = anchor == Anchor::kStart ? "start" : anchor == Anchor::kMiddle ? "middle" : "end";
  body_ += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{:g}\" text-anchor=\"{}\" "
      "dominant-baseline=\"central\" fill=\"{}\">{}</text>\n",
      at.x, at.y, size, a, rgb(color), escaped(s));
}

}  // namespace ascent::plot
