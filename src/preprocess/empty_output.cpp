#include "preprocess/empty_output.h"

#include <fmt/format.h>

#include "core/error.h"
#include "preprocess/handlers/handler.h"

namespace ascent::preprocess {
namespace {

using data::readers::Problem;

// The flags that usually fix records rejected for `reason`.
std::string advice(const PreprocessOptions& opts, Problem reason) {
  if (reason == Problem::kMissingKey) {
    if (opts.handler_name == "GeneralPretrainHandler")
      return "name the text field with --json-keys (or --map-keys)";
    return "rename the fields " + opts.handler_name +
           " reads with --map-keys, e.g. --map-keys "
           "'{\"instruction\":\"question\",\"output\":\"answer\"}', or pick another "
           "--handler-name";
  }
  if (reason == Problem::kEmptyText) return "the fields read are empty; check --json-keys";
  return "see the examples above";
}

}  // namespace

void throw_if_nothing_written(const PreprocessOptions& opts, const PreprocessStats& stats) {
  if (stats.documents > 0) return;
  std::string why;
  if (stats.records == 0 && stats.problem_count() == 0) {
    why = "the input holds no records (an empty file or directory)";
  } else if (stats.problem_count() == 0) {
    why = fmt::format("{} records read, none gave a sequence", stats.records);
    if (stats.dropped_too_long)
      why +=
          fmt::format(" (all dropped by --seq-length {} --long-sequences drop)", opts.seq_length);
  } else {
    why = fmt::format("{} records read, every one rejected with --handler-name {}:", stats.records,
                      opts.handler_name);
    Problem most = stats.problems.begin()->first;
    for (const auto& [reason, r] : stats.problems) {
      why += fmt::format("\n  {} {}", data::readers::problem_name(reason), r.count);
      for (const std::string& e : r.examples) why += "\n      " + e;
      if (r.count > stats.problems.at(most).count) most = reason;
    }
    why += "\n  hint: " + advice(opts, most);
  }
  throw error("[preprocess] --input ", opts.input, ": nothing to write, no output created: ", why);
}

}  // namespace ascent::preprocess
