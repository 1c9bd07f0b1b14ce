// .csv (RFC 4180): a header row names the fields; every following row becomes an object of
// strings. Quoted fields may hold commas, "" escapes and newlines; lines end in LF or CRLF.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "data/readers/chunk_scanning_reader.h"
#include "data/readers/formats.h"

namespace ascent::data::readers {
namespace {

class CsvReader final : public ChunkScanningReader {
 public:
  CsvReader(std::unique_ptr<ByteSource> source, const ReaderOptions& opts)
      : ChunkScanningReader(std::move(source)), wanted_(opts.columns) {}

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kSkipLine };

  void scan(std::vector<Record>& out, std::vector<ReaderProblem>& problems) override {
    const char* p = chunk_.data();
    if (!started_) {  // a UTF-8 BOM before the header
      started_ = true;
      if (len_ >= 3 && std::string_view(p, 3) == "\xEF\xBB\xBF") pos_ = 3;
    }
    while (pos_ < len_) {
      if (state_ == State::kQuoted) {  // fast path: copy up to the next quote
        const auto* q = static_cast<const char*>(std::memchr(p + pos_, '"', len_ - pos_));
        const size_t i = q != nullptr ? static_cast<size_t>(q - p) : len_;
        line_ += std::count(p + pos_, p + i, '\n');
        field_.append(p + pos_, i - pos_);
        pos_ = i;
        if (i == len_) return;
        ++pos_;
        state_ = State::kQuoteInQuoted;
        continue;
      }
      if (state_ == State::kUnquoted && !cr_pending_) {  // fast path: the plain rest of a field
        size_t i = pos_;
        while (i < len_ && p[i] != ',' && p[i] != '\n' && p[i] != '\r' && p[i] != '"') ++i;
        field_.append(p + pos_, i - pos_);
        pos_ = i;
        if (i == len_) return;
      }
      const char c = p[pos_++];
      if (cr_pending_) {
        cr_pending_ = false;
        if (c != '\n' && state_ == State::kQuoteInQuoted) {
          bad_row(problems, "a CR after a closing quote that does not end the line");
          continue;
        }
        if (c != '\n') {  // a lone CR in an unquoted field is data
          field_ += '\r';
          state_ = State::kUnquoted;
        }
      }
      switch (state_) {
        case State::kFieldStart:
        case State::kUnquoted:
          if (c == ',') {
            end_field();
          } else if (c == '\n') {
            ++line_;
            if (end_row(out, problems)) return;
          } else if (c == '\r') {
            cr_pending_ = true;
          } else if (c == '"') {
            if (state_ == State::kFieldStart && field_.empty()) {
              state_ = State::kQuoted;
            } else {
              bad_row(problems, "a quote inside an unquoted field");
            }
          } else {
            field_ += c;
            state_ = State::kUnquoted;
          }
          break;
        case State::kQuoteInQuoted:
          if (c == '"') {
            field_ += '"';
            state_ = State::kQuoted;
          } else if (c == ',') {
            end_field();
          } else if (c == '\n') {
            ++line_;
            if (end_row(out, problems)) return;
          } else if (c == '\r') {
            cr_pending_ = true;
          } else {
            bad_row(problems, "a character after a closing quote (expected ',' or a line end)");
          }
          break;
        case State::kSkipLine:
          if (c == '\n') {
            ++line_;
            reset_row();
          }
          break;
        case State::kQuoted:
          break;
      }
    }
  }

  void end_field() {
    row_.push_back(std::move(field_));
    field_.clear();
    state_ = State::kFieldStart;
  }

  void reset_row() {
    row_.clear();
    field_.clear();
    state_ = State::kFieldStart;
    row_line_ = line_;
  }

  // Drops the rest of the current line and the row it belongs to.
  void bad_row(std::vector<ReaderProblem>& problems, const std::string& what) {
    problems.push_back({Problem::kCsvQuoting, where(row_line_),
                        what + " (line " + std::to_string(line_) + "); the row is dropped"});
    state_ = State::kSkipLine;
  }

  // At a line end outside quotes; true when a record was appended.
  bool end_row(std::vector<Record>& out, std::vector<ReaderProblem>& problems) {
    const bool blank = row_.empty() && field_.empty() && state_ == State::kFieldStart;
    bool appended = false;
    if (!blank) {
      end_field();
      appended = take_row(out, problems);
    }
    reset_row();
    return appended;
  }

  bool take_row(std::vector<Record>& out, std::vector<ReaderProblem>& problems) {
    if (header_.empty()) {
      set_header(std::move(row_));
      return false;
    }
    if (row_.size() != header_.size()) {
      problems.push_back({Problem::kCsvFieldCount, where(row_line_),
                          std::to_string(row_.size()) + " fields, the header has " +
                              std::to_string(header_.size()) + "; the row is dropped"});
      return false;
    }
    Record& r = out.emplace_back();
    r.kind = Record::Kind::kFields;
    r.fields = nlohmann::json::object();
    for (size_t i : selected_) r.fields[header_[i]] = std::move(row_[i]);
    r.file = path_;
    r.line = row_line_;
    return true;
  }

  void set_header(std::vector<std::string> names) {
    header_ = std::move(names);
    const auto wanted = [&](const std::string& name) {
      return wanted_.empty() || std::find(wanted_.begin(), wanted_.end(), name) != wanted_.end();
    };
    for (size_t i = 0; i < header_.size(); ++i) {
      if (!wanted(header_[i])) continue;
      if (std::find(header_.begin(), header_.begin() + i, header_[i]) != header_.begin() + i)
        throw error("[preprocess] ", path_, ": the header names column '", header_[i], "' twice");
      selected_.push_back(i);
    }
    for (const std::string& name : wanted_)
      if (std::find(header_.begin(), header_.end(), name) == header_.end())
        throw error("[preprocess] ", path_, ": no column '", name, "' in the header (",
                    join(header_), ")");
  }

  static std::string join(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
  }

  void finish(std::vector<Record>& out, std::vector<ReaderProblem>& problems) override {
    if (source_->failure()) {
      problems.push_back({Problem::kTruncated, where(line_),
                          *source_->failure() + "; the incomplete last row is dropped"});
      return;
    }
    if (cr_pending_) cr_pending_ = false;
    switch (state_) {
      case State::kQuoted:
        problems.push_back({Problem::kCsvQuoting, where(row_line_),
                            "a quoted field is never closed (the file ends inside it); the row "
                            "is dropped"});
        break;
      case State::kSkipLine:
        break;
      default:
        end_row(out, problems);
    }
  }

  std::vector<std::string> wanted_;
  State state_ = State::kFieldStart;
  bool cr_pending_ = false;
  std::vector<std::string> header_;
  std::vector<size_t> selected_;  // header indices that become fields
  std::vector<std::string> row_;
  std::string field_;
  int64_t line_ = 1, row_line_ = 1;
  bool started_ = false;
};

}  // namespace

std::unique_ptr<RecordReader> open_csv(std::unique_ptr<ByteSource> source,
                                       const ReaderOptions& opts) {
  return std::make_unique<CsvReader>(std::move(source), opts);
}

}  // namespace ascent::data::readers
