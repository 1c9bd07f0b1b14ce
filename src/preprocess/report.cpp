#include "preprocess/report.h"

#include <fmt/format.h>

namespace ascent::preprocess {

int64_t PreprocessStats::problem_count() const {
  int64_t n = 0;
  for (const auto& [reason, r] : problems) n += r.count;
  return n;
}

int64_t PreprocessStats::problem_count(data::readers::Problem reason) const {
  const auto it = problems.find(reason);
  return it == problems.end() ? 0 : it->second.count;
}

void PreprocessStats::add_problem(const data::readers::ReaderProblem& p, int max_examples) {
  ProblemReport& r = problems[p.reason];
  ++r.count;
  if (static_cast<int>(r.examples.size()) < max_examples)
    r.examples.push_back(p.location + ": " + p.message);
}

std::string describe(const data::readers::ReaderProblem& p) {
  return p.location + ": " + data::readers::problem_name(p.reason) + ": " + p.message;
}

std::string format_summary(const PreprocessOptions& opts, const PreprocessStats& s) {
  const double mb = static_cast<double>(s.input_bytes) / 1e6;
  const double secs = s.seconds > 0 ? s.seconds : 1e-9;
  std::string out;
  out += fmt::format("input        {} ({:.2f} MB, {} records)\n", opts.input, mb, s.records);
  out += fmt::format("handler      {}\n", opts.handler_name);
  out += fmt::format("documents    {} ({} sequences)\n", s.documents, s.sequences);
  out += fmt::format("tokens       {}{}\n", s.tokens, opts.append_eod ? " (EOD included)" : "");
  if (s.dropped_too_long)
    out += fmt::format(
        "too long     {} sequences of {} tokens or more dropped (--seq-length, --long-sequences "
        "drop)\n",
        s.dropped_too_long, opts.seq_length);
  if (s.truncated)
    out += fmt::format(
        "truncated    {} sequences cut to {} tokens (--seq-length, --long-sequences truncate)\n",
        s.truncated, opts.seq_length);
  if (s.kept_long)
    out += fmt::format(
        "long         {} sequences longer than --seq-length {} written whole, as AscendSpeed "
        "does (--long-sequences drop or truncate to limit them)\n",
        s.kept_long, opts.seq_length);
  out += fmt::format("rejected     {}{}\n", s.problem_count(),
                     s.problem_count() ? " records or input pieces, by reason:" : "");
  for (const auto& [reason, r] : s.problems) {
    out += fmt::format("  {:<16} {}\n", data::readers::problem_name(reason), r.count);
    for (const std::string& e : r.examples) out += fmt::format("      {}\n", e);
    if (r.count > static_cast<int64_t>(r.examples.size()))
      out +=
          fmt::format("      ... and {} more\n", r.count - static_cast<int64_t>(r.examples.size()));
  }
  out += fmt::format("time         {:.2f} s ({:.2f} MB/s, {:.0f} tokens/s)\n", s.seconds, mb / secs,
                     static_cast<double>(s.tokens) / secs);
  for (const std::string& prefix : s.outputs)
    out += fmt::format("wrote        {}.{{bin,idx}}\n", prefix);
  return out;
}

}  // namespace ascent::preprocess
