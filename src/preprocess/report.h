#pragma once
// What a preprocessing run did: counts, rejected input per reason (with the first few
// locations), outputs; and the summary printed at the end.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/readers/record_reader.h"
#include "preprocess/options.h"

namespace ascent::preprocess {

struct ProblemReport {
  int64_t count = 0;
  std::vector<std::string> examples;  // the first few, as "location: message"
};

struct PreprocessStats {
  int64_t records = 0;    // records read (non-empty text lines, JSON objects, CSV/Parquet rows)
  int64_t documents = 0;  // records written
  int64_t sequences = 0;  // sequences written (pretraining: all keys together)
  int64_t tokens = 0;     // tokens written (pretraining: all keys; instruction: input_ids)
  int64_t dropped_too_long = 0;  // sequences dropped by --seq-length --long-sequences drop
  int64_t truncated = 0;         // sequences cut by --seq-length --long-sequences truncate
  int64_t kept_long = 0;         // sequences longer than --seq-length written whole (keep)
  std::map<data::readers::Problem, ProblemReport> problems;  // rejected input per reason
  int64_t input_bytes = 0;                                   // on-disk bytes read
  double seconds = 0.0;
  std::vector<std::string> outputs;  // dataset prefixes written

  int64_t problem_count() const;
  int64_t problem_count(data::readers::Problem reason) const;
  // Counts one problem, keeping its text while fewer than max_examples are kept.
  void add_problem(const data::readers::ReaderProblem& p, int max_examples);
};

// "location: reason_name: message", the form of reports and --strict errors.
std::string describe(const data::readers::ReaderProblem& p);

// The end-of-run summary (several lines, each ending in '\n').
std::string format_summary(const PreprocessOptions& opts, const PreprocessStats& stats);

}  // namespace ascent::preprocess
