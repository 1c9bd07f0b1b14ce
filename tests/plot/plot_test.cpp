// plot/: the metrics file reader, and the chart as SVG (parsed back: every panel holds every
// run's curves with the right number of points, inside its axes) and as PNG (decoded with a
// CRC-32 written from the PNG specification: valid chunks, the size asked for, and each run's
// color inked in every panel).
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>

#include "core/error.h"
#include "plot/chart.h"
#include "plot/figure_file.h"
#include "plot/metrics_file.h"

namespace fs = std::filesystem;

namespace ascent::plot {
namespace {

std::string scratch(const std::string& name) {
  const fs::path p = fs::path(ASCENT_BINARY_DIR) / "plot_test_tmp" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `n` iterations of a falling loss, validation every 5, a null gradient norm at iteration 2.
std::string metrics_file(const std::string& dir, const std::string& name, int n, double scale) {
  const std::string path = dir + "/" + name + ".jsonl";
  std::ofstream f(path);
  for (int i = 1; i <= n; ++i) {
    f << "{\"iteration\":" << i << ",\"loss\":" << scale * (8.0 - 0.1 * i)
      << ",\"lr\":" << 1e-3 * i / n
      << ",\"grad_norm\":" << (i == 2 ? "null" : std::to_string(0.5 * scale))
      << ",\"tokens_per_s\":" << scale * (1000 + 10 * i) << ",\"skipped\":false";
    if (i % 5 == 0) f << ",\"validation_loss\":" << scale * (8.2 - 0.1 * i);
    f << "}\n";
  }
  return path;
}

TEST(Plot, NiceTicks) {
  EXPECT_EQ(nice_ticks(0, 100), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(nice_ticks(3.2, 7.9), (std::vector<double>{3, 4, 5, 6, 7, 8}));
  const std::vector<double> lr = nice_ticks(0, 3e-4);
  ASSERT_EQ(lr.size(), 4u);
  EXPECT_NEAR(lr[1] - lr[0], 1e-4, 1e-15);
  EXPECT_NEAR(lr.back(), 3e-4, 1e-15);
  EXPECT_EQ(nice_ticks(0, 1).size(), 6u);  // 0, 0.2, ... 1
}

TEST(Plot, ReadsMetricsSkippingNullsAndKeepingTheResumedRun) {
  const std::string dir = scratch("read");
  const std::string path = metrics_file(dir, "run", 10, 1.0);
  plot::Run r = read_metrics_file(path, "run");
  EXPECT_EQ(r.loss.size(), 10u);
  EXPECT_EQ(r.grad_norm.size(), 9u);  // iteration 2's is null
  ASSERT_EQ(r.validation.size(), 2u);
  EXPECT_EQ(r.validation[1].x, 10);
  // A resume from iteration 6 appends 7..10 again: those replace the first ones.
  {
    std::ofstream f(path, std::ios::app);
    for (int i = 7; i <= 10; ++i)
      f << "{\"iteration\":" << i << ",\"loss\":1,\"lr\":0,\"grad_norm\":1,\"tokens_per_s\":1}\n";
  }
  r = read_metrics_file(path, "run");
  ASSERT_EQ(r.loss.size(), 10u);
  EXPECT_EQ(r.loss.back().y, 1.0);
  EXPECT_EQ(r.validation.size(), 1u);  // iteration 10's went with the replaced lines
  std::ofstream(dir + "/bad.jsonl") << "{\"iteration\":1,\"loss\":2}\n{oops\n";
  try {
    read_metrics_file(dir + "/bad.jsonl", "bad");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[plot] --metrics-file " + dir + "/bad.jsonl line 2"),
              std::string::npos)
        << e.what();
  }
}

// data-series -> number of points, per panel.
std::map<std::string, std::map<std::string, size_t>> svg_series(const std::string& svg,
                                                                const ChartOptions& o) {
  std::map<std::string, std::map<std::string, size_t>> panels;
  const std::regex group("<g class=\"panel\" data-name=\"([^\"]+)\">([\\s\\S]*?)</g>");
  const std::regex line("<polyline class=\"series\" data-series=\"([^\"]+)\" points=\"([^\"]*)\"");
  const std::regex point("(-?[0-9.]+),(-?[0-9.]+)");
  int index = 0;
  for (std::sregex_iterator g(svg.begin(), svg.end(), group), end; g != end; ++g, ++index) {
    const std::string name = (*g)[1], body = (*g)[2];
    const Rect a = panel_area(index, o);
    EXPECT_EQ(name, panel_title(index));
    for (std::sregex_iterator l(body.begin(), body.end(), line); l != end; ++l) {
      if ((*l)[1] == "legend") continue;
      const std::string pts = (*l)[2];
      size_t n = 0;
      for (std::sregex_iterator p(pts.begin(), pts.end(), point); p != end; ++p, ++n) {
        const double x = std::stod((*p)[1]), y = std::stod((*p)[2]);
        EXPECT_TRUE(x >= a.x - 0.01 && x <= a.x + a.w + 0.01 && y >= a.y - 0.01 &&
                    y <= a.y + a.h + 0.01)
            << name << " " << (*l)[1] << ": " << x << "," << y << " outside the axes";
      }
      panels[name][(*l)[1]] = n;
    }
  }
  return panels;
}

TEST(Plot, SvgHasEveryPanelAndCurve) {
  const std::string dir = scratch("svg");
  const std::vector<plot::Run> runs = {read_metrics_file(metrics_file(dir, "a", 20, 1.0), "a"),
                                       read_metrics_file(metrics_file(dir, "b", 30, 0.9), "b & c")};
  write_figure(runs, dir + "/curves.svg");
  const std::string svg = read_bytes(dir + "/curves.svg");
  ASSERT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  const auto panels = svg_series(svg, ChartOptions{});
  using Counts = std::map<std::string, size_t>;
  ASSERT_EQ(panels.size(), 4u);
  EXPECT_EQ(panels.at("loss"), (Counts{{"a train", 20},
                                       {"a validation", 4},
                                       {"b &amp; c train", 30},
                                       {"b &amp; c validation", 6}}));
  EXPECT_EQ(panels.at("learning rate"), (Counts{{"a", 20}, {"b &amp; c", 30}}));
  EXPECT_EQ(panels.at("grad norm"), (Counts{{"a", 19}, {"b &amp; c", 29}}));
  EXPECT_EQ(panels.at("tokens/s"), (Counts{{"a", 20}, {"b &amp; c", 30}}));
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos) << "validation is dashed";
  EXPECT_NE(svg.find(">iteration</text>"), std::string::npos);
}

uint32_t spec_crc32(const std::string& bytes) {  // PNG specification, annex D (bit by bit)
  uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

uint32_t be32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

TEST(Plot, PngDecodesAndInksEveryPanel) {
  const std::string dir = scratch("png");
  const std::vector<plot::Run> runs = {read_metrics_file(metrics_file(dir, "a", 20, 1.0), "a"),
                                       read_metrics_file(metrics_file(dir, "b", 30, 0.9), "b")};
  ChartOptions o;
  o.width = 1000, o.height = 700;
  write_figure(runs, dir + "/curves.png", o);
  const std::string png = read_bytes(dir + "/curves.png");
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string idat, types;
  uint32_t width = 0, height = 0;
  for (size_t at = 8; at < png.size();) {
    const uint32_t n = be32(png, at);
    ASSERT_LE(at + 12 + n, png.size());
    const std::string type = png.substr(at + 4, 4), data = png.substr(at + 8, n);
    EXPECT_EQ(be32(png, at + 8 + n), spec_crc32(type + data)) << type << " CRC";
    types += type + " ";
    if (type == "IHDR") {
      width = be32(data, 0), height = be32(data, 4);
      EXPECT_EQ(data.substr(8), std::string("\x08\x02\x00\x00\x00", 5));  // 8-bit RGB
    }
    if (type == "IDAT") idat += data;
    at += 12 + n;
  }
  EXPECT_EQ(types, "IHDR IDAT IEND ");
  ASSERT_EQ(width, 1000u);
  ASSERT_EQ(height, 700u);
  const size_t stride = width * 3 + 1;
  std::string raw(stride * height, '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
            Z_OK);
  ASSERT_EQ(raw_size, raw.size());
  auto pixel = [&](int x, int y) {
    const size_t at = static_cast<size_t>(y) * stride + 1 + static_cast<size_t>(x) * 3;
    return Color{static_cast<uint8_t>(raw[at]), static_cast<uint8_t>(raw[at + 1]),
                 static_cast<uint8_t>(raw[at + 2])};
  };
  for (uint32_t y = 0; y < height; ++y) ASSERT_EQ(raw[y * stride], 0) << "filter type of row " << y;
  for (int p = 0; p < kPanels; ++p) {
    const Rect a = panel_area(p, o);
    for (size_t r = 0; r < runs.size(); ++r) {
      int inked = 0;
      for (int y = static_cast<int>(a.y); y < static_cast<int>(a.y + a.h); ++y)
        for (int x = static_cast<int>(a.x); x < static_cast<int>(a.x + a.w); ++x)
          inked += pixel(x, y) == run_color(r);
      EXPECT_GT(inked, 200) << panel_title(p) << ", run " << r;
    }
  }
}

TEST(Plot, OtherExtensionsAreRefused) {
  const std::string dir = scratch("ext");
  const std::vector<plot::Run> runs = {read_metrics_file(metrics_file(dir, "a", 3, 1.0), "a")};
  try {
    write_figure(runs, dir + "/curves.jpg");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("must end in .svg or .png"), std::string::npos);
  }
}

}  // namespace
}  // namespace ascent::plot
