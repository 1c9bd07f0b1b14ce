// A directory as one input: its files of the majority format, in name order, one open at a time.
#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/log.h"
#include "data/readers/formats.h"

namespace ascent::data::readers {
namespace {

class DirectoryReader final : public RecordReader {
 public:
  DirectoryReader(std::vector<std::string> files, Format format, const ReaderOptions& opts)
      : files_(std::move(files)), format_(format), opts_(opts) {
    std::error_code ec;
    for (const auto& f : files_)
      sizes_.push_back(static_cast<int64_t>(std::filesystem::file_size(f, ec)));
    for (int64_t s : sizes_) total_ += s;
  }

  bool next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                  size_t max_bytes) override {
    while (index_ < files_.size()) {
      if (!current_) current_ = open_file(files_[index_], format_, opts_);
      const size_t before = out.size() + problems.size();
      if (current_->next_batch(out, problems, max_bytes)) return true;
      finished_ += sizes_[index_];
      current_.reset();
      ++index_;
      if (out.size() + problems.size() > before) return true;
    }
    return false;
  }
  int64_t bytes_done() const override {
    return finished_ + (current_ ? std::min(current_->bytes_done(), sizes_[index_]) : 0);
  }
  int64_t bytes_total() const override { return total_; }

 private:
  std::vector<std::string> files_;
  std::vector<int64_t> sizes_;
  Format format_;
  ReaderOptions opts_;
  size_t index_ = 0;
  std::unique_ptr<RecordReader> current_;
  int64_t finished_ = 0, total_ = 0;
};

}  // namespace

std::unique_ptr<RecordReader> open_directory(const std::string& dir, const ReaderOptions& opts) {
  std::map<Format, std::vector<std::string>> by_format;
  std::vector<std::string> skipped;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden files (.DS_Store, .gitattributes)
    std::error_code ec2;
    if (!entry.is_regular_file(ec2)) {
      skipped.push_back(name + "/");
      continue;
    }
    if (const auto f = format_of(name)) {
      by_format[*f].push_back(entry.path().string());
    } else {
      skipped.push_back(name);
    }
  }
  if (ec)
    throw error("[preprocess] --input ", dir, ": cannot list the directory (", ec.message(), ")");
  if (by_format.empty())
    throw error("[preprocess] --input ", dir,
                ": no .txt, .json, .jsonl, .csv or .parquet files (optionally .gz / .zst) in the "
                "directory");
  // The majority format; a tie is ambiguous.
  size_t best = 0;
  for (const auto& [f, files] : by_format) best = std::max(best, files.size());
  std::vector<Format> winners;
  for (const auto& [f, files] : by_format)
    if (files.size() == best) winners.push_back(f);
  if (winners.size() > 1) {
    std::string counts;
    for (const auto& [f, files] : by_format)
      counts +=
          (counts.empty() ? "" : ", ") + std::to_string(files.size()) + " " + format_extension(f);
    throw error("[preprocess] --input ", dir, ": no majority format among its files (", counts,
                "); pass a single file or a directory of one format");
  }
  const Format format = winners[0];
  for (const auto& [f, files] : by_format)
    if (f != format)
      for (const auto& file : files)
        skipped.push_back(std::filesystem::path(file).filename().string());
  std::vector<std::string> files = std::move(by_format[format]);
  std::sort(files.begin(), files.end());
  if (!skipped.empty()) {
    std::sort(skipped.begin(), skipped.end());
    std::string list;
    for (size_t i = 0; i < skipped.size() && i < 10; ++i) list += (i ? ", " : "") + skipped[i];
    if (skipped.size() > 10) list += ", ...";
    ASCENT_LOG_WARN("[preprocess] --input {}: reading {} {} files; skipping {} other entries: {}",
                    dir, files.size(), format_extension(format), skipped.size(), list);
  }
  return std::make_unique<DirectoryReader>(std::move(files), format, opts);
}

}  // namespace ascent::data::readers
