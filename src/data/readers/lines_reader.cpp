// .txt (one document per line, or per file) and .jsonl (one JSON object per line).
#include <string_view>

#include "data/readers/formats.h"
#include "data/readers/line_reader.h"

namespace ascent::data::readers {
namespace {

std::string_view strip_cr(std::string_view s) {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

// One record per line. Empty .txt lines and blank .jsonl lines separate nothing and are skipped.
class LinesReader final : public RecordReader {
 public:
  LinesReader(std::unique_ptr<ByteSource> source, Record::Kind kind)
      : lines_(std::move(source)), kind_(kind), path_(lines_.source().path()) {}

  bool next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                  size_t max_bytes) override {
    if (ended_) return false;
    const size_t before = out.size() + problems.size();
    size_t used = 0;
    std::string_view line;
    while (used < max_bytes || used == 0) {
      if (!lines_.next(line)) {
        ended_ = true;
        if (auto p = lines_.end_problem()) problems.push_back(std::move(*p));
        break;
      }
      used += line.size() + 1;
      line = strip_cr(line);
      if (kind_ == Record::Kind::kText ? line.empty() : is_blank(line)) continue;
      Record& r = out.emplace_back();
      r.kind = kind_;
      r.text.assign(line);
      r.file = path_;
      r.line = lines_.line_number();
    }
    return !ended_ || out.size() + problems.size() > before;
  }
  int64_t bytes_done() const override { return lines_.bytes_used(); }
  int64_t bytes_total() const override { return lines_.source().bytes_total(); }

 private:
  LineReader lines_;
  Record::Kind kind_;
  std::string path_;
  bool ended_ = false;
};

// The whole file is one document (empty files give none). A cut file is dropped and reported.
class DocumentReader final : public RecordReader {
 public:
  explicit DocumentReader(std::unique_ptr<ByteSource> source) : source_(std::move(source)) {}

  bool next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                  size_t /*max_bytes*/) override {
    if (ended_) return false;
    ended_ = true;
    std::string text = read_all(*source_);
    if (source_->failure()) {
      problems.push_back({Problem::kTruncated, source_->path() + ":1",
                          *source_->failure() + "; the document is dropped"});
      return true;
    }
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
    if (text.empty()) return false;
    Record& r = out.emplace_back();
    r.kind = Record::Kind::kText;
    r.text = std::move(text);
    r.file = source_->path();
    r.line = 1;
    return true;
  }
  int64_t bytes_done() const override { return source_->bytes_done(); }
  int64_t bytes_total() const override { return source_->bytes_total(); }

 private:
  std::unique_ptr<ByteSource> source_;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<RecordReader> open_txt(std::unique_ptr<ByteSource> source,
                                       const ReaderOptions& opts) {
  if (opts.document_per_file) return std::make_unique<DocumentReader>(std::move(source));
  return std::make_unique<LinesReader>(std::move(source), Record::Kind::kText);
}

std::unique_ptr<RecordReader> open_jsonl(std::unique_ptr<ByteSource> source) {
  return std::make_unique<LinesReader>(std::move(source), Record::Kind::kJson);
}

}  // namespace ascent::data::readers
