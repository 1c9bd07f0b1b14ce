// `ascent plot`: training curves of one or more runs' --metrics-file, as SVG or PNG.
//
//   ascent plot --metrics-file a.jsonl --metrics-file b.jsonl --label a --label b -o curves.svg
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "plot/figure_file.h"
#include "plot/metrics_file.h"

namespace ascent::cli {
namespace {

struct PlotArgs {
  std::vector<std::string> metrics_files, labels;
  std::string output;
  int width = 1200, height = 800;
};

void run_plot(const PlotArgs& a) {
  if (!a.labels.empty() && a.labels.size() != a.metrics_files.size())
    throw error("[plot] --label given ", a.labels.size(), " times for ", a.metrics_files.size(),
                " --metrics-file; give one per file or none (the file names label the runs)");
  std::vector<plot::Run> runs;
  for (size_t i = 0; i < a.metrics_files.size(); ++i) {
    const std::string label =
        a.labels.empty() ? std::filesystem::path(a.metrics_files[i]).stem().string() : a.labels[i];
    runs.push_back(plot::read_metrics_file(a.metrics_files[i], label));
  }
  plot::ChartOptions o;
  o.width = a.width;
  o.height = a.height;
  plot::write_figure(runs, a.output, o);
  ASCENT_LOG_INFO("wrote {} ({} run{}: loss, learning rate, grad norm, tokens/s)", a.output,
                  runs.size(), runs.size() == 1 ? "" : "s");
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto a = std::make_shared<PlotArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plot", "draw loss, learning rate, grad norm and tokens/s of --metrics-file runs");
  cmd->add_option("--metrics-file", a->metrics_files,
                  "metrics of `ascent train --metrics-file` (repeat to overlay runs)")
      ->required()
      ->take_all();
  cmd->add_option("--label", a->labels, "a name per --metrics-file (default: the file names)")
      ->take_all();
  cmd->add_option("-o,--output", a->output, "the chart: a .svg or .png file")->required();
  cmd->add_option("--width", a->width, "image width in pixels")
      ->check(CLI::Range(400, 8000))
      ->capture_default_str();
  cmd->add_option("--height", a->height, "image height in pixels")
      ->check(CLI::Range(300, 8000))
      ->capture_default_str();
  cmd->callback([a] { run_plot(*a); });
}

}  // namespace ascent::cli
