#include "plot/metrics_file.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ascent::plot {
namespace {

// Appends (x, value of key) when the line has that key as a number.
void add(std::vector<Point>& series, double x, const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it != j.end() && it->is_number()) series.push_back({x, it->get<double>()});
}

// Drops the points at or after iteration x (a resumed run rewrites them).
void truncate_from(Run& r, double x) {
  for (std::vector<Point>* s : {&r.loss, &r.validation, &r.lr, &r.grad_norm, &r.tokens_per_s})
    while (!s->empty() && s->back().x >= x) s->pop_back();
}

}  // namespace

Run read_metrics_file(const std::string& path, const std::string& label) {
  std::ifstream in(path);
  if (!in) throw error("[plot] --metrics-file ", path, ": cannot open");
  Run r;
  r.label = label;
  double last = -1;
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw error("[plot] --metrics-file ", path, " line ", n, ": not JSON (", e.what(), ")");
    }
    const auto it = j.find("iteration");
    if (!j.is_object() || it == j.end() || !it->is_number_integer())
      throw error("[plot] --metrics-file ", path, " line ", n,
                  ": no \"iteration\" (is this an `ascent train --metrics-file`?)");
    const double x = it->get<double>();
    if (x <= last) truncate_from(r, x);
    last = x;
    add(r.loss, x, j, "loss");
    add(r.validation, x, j, "validation_loss");
    add(r.lr, x, j, "lr");
    add(r.grad_norm, x, j, "grad_norm");
    add(r.tokens_per_s, x, j, "tokens_per_s");
  }
  if (r.loss.empty()) throw error("[plot] --metrics-file ", path, ": no iterations with a loss");
  return r;
}

}  // namespace ascent::plot
