#include "plot/figure_file.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "plot/png.h"
#include "plot/raster_canvas.h"
#include "plot/svg_canvas.h"

namespace ascent::plot {

void write_figure(const std::vector<Run>& runs, const std::string& path, const ChartOptions& o) {
  const std::string ext = std::filesystem::path(path).extension().string();
  std::string bytes;
  if (ext == ".svg") {
    SvgCanvas svg(o.width, o.height);
    draw_chart(runs, o, svg);
    bytes = svg.svg();
  } else if (ext == ".png") {
    RasterCanvas raster(o.width, o.height);
    draw_chart(runs, o, raster);
    bytes = encode_png(raster.width(), raster.height(), raster.rgb());
  } else {
    throw error("[plot] -o ", path, ": the name must end in .svg or .png");
  }
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw error("[plot] -o ", path, ": cannot write");
}

}  // namespace ascent::plot
