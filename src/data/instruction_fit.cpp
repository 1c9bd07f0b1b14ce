#include "data/instruction_fit.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace ascent::data {
namespace {

constexpr int32_t kIgnore = -100;  // kernels::kIgnoreIndex
constexpr int64_t kChunk = 256;    // labels read at a time

// True when sample i has a label (not -100) at a position in [first, end).
bool has_label(const InstructionDataset& data, int64_t i, int64_t first, int64_t end,
               std::vector<int32_t>& buf) {
  for (int64_t p = first; p < end; p += kChunk) {
    const int64_t n = std::min(kChunk, end - p);
    buf.resize(static_cast<size_t>(n));
    data.read_labels(i, p, n, buf.data());
    if (std::any_of(buf.begin(), buf.end(), [](int32_t l) { return l != kIgnore; })) return true;
  }
  return false;
}

}  // namespace

LongSamples parse_long_samples(const std::string& name) {
  if (name == "truncate") return LongSamples::kTruncate;
  if (name == "drop") return LongSamples::kDrop;
  if (name == "error") return LongSamples::kError;
  throw error("[train] --long-samples ", name, ": expected truncate, drop or error");
}

SampleFit fit_samples(const InstructionDataset& data, std::span<const int64_t> samples, int64_t T) {
  SampleFit f;
  std::vector<int32_t> buf;
  for (const int64_t s : samples) {
    ++f.samples;
    const int64_t n = data.length(s);
    f.longest = std::max(f.longest, n);
    const int64_t row_end = std::min(n, T + 1);  // labels [1, row_end) are trained on
    const bool kept_label = has_label(data, s, 1, row_end, buf);
    if (!kept_label) ++f.without_labels;
    if (n <= T + 1) {
      f.fitting.push_back(s);
      if (!kept_label) ++f.fitting_without_labels;
      continue;
    }
    ++f.cut;
    if (has_label(data, s, row_end, n, buf)) {
      ++f.lose_labels;
      if (!kept_label) ++f.emptied;
    }
  }
  return f;
}

std::string describe_cut(const SampleFit& f, int64_t T) {
  if (f.cut == 0) return "";
  return fmt::format(
      "{} of {} samples ({:.0f}%) are longer than --seq-length {} + 1 tokens (the longest has "
      "{}): {} lose part of their answer, {} all of it",
      f.cut, f.samples, 100.0 * static_cast<double>(f.cut) / static_cast<double>(f.samples), T,
      f.longest, f.lose_labels - f.emptied, f.emptied);
}

}  // namespace ascent::data
