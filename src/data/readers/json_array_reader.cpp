// .json: a top-level JSON array split into element texts while streaming (the file is never held
// whole), or JSON lines when the file does not start with '['.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "data/readers/chunk_scanning_reader.h"
#include "data/readers/formats.h"

namespace ascent::data::readers {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Elements are cut at the commas of depth 0 (outside strings); the text of each is parsed later
// (parse_record), so a malformed element costs only itself.
class JsonArrayReader final : public ChunkScanningReader {
 public:
  explicit JsonArrayReader(std::unique_ptr<ByteSource> source)
      : ChunkScanningReader(std::move(source)) {}

 private:
  enum class State { kStart, kElements, kEnd, kIgnoreRest };

  void scan(std::vector<Record>& out, std::vector<ReaderProblem>& problems) override {
    const char* p = chunk_.data();
    while (pos_ < len_) {
      const char c = p[pos_];
      if (state_ == State::kElements && in_string_) {
        scan_string();
        continue;
      }
      ++pos_;
      if (c == '\n') ++line_;
      switch (state_) {
        case State::kStart:
          if (c == '[') {
            state_ = State::kElements;
          } else if (!is_space(c) && !(line_ == 1 && is_bom_byte(c))) {
            problems.push_back(
                {Problem::kInvalidJson, where(line_), "expected '[' to open the array"});
            state_ = State::kIgnoreRest;
          }
          break;
        case State::kElements:
          if (element_byte(c, out, problems)) return;  // an element ended
          break;
        case State::kEnd:
          if (!is_space(c)) {
            problems.push_back({Problem::kInvalidJson, where(line_),
                                "unexpected data after the closing ']' of the array (ignored)"});
            state_ = State::kIgnoreRest;
          }
          break;
        case State::kIgnoreRest:
          pos_ = len_;
          break;
      }
    }
  }

  // Inside a string: copy up to and including the next unescaped quote. A quote is escaped when
  // an odd number of backslashes precede it (escape_ carries the parity across chunks).
  void scan_string() {
    const char* p = chunk_.data();
    size_t i = pos_;
    for (;;) {
      const auto* q = static_cast<const char*>(std::memchr(p + i, '"', len_ - i));
      const size_t stop = q != nullptr ? static_cast<size_t>(q - p) : len_;
      line_ += std::count(p + i, p + stop, '\n');
      size_t k = 0;  // backslashes right before stop
      while (stop - k > pos_ && p[stop - k - 1] == '\\') ++k;
      const bool odd = (stop - k == pos_ ? k + (escape_ ? 1 : 0) : k) % 2 == 1;
      if (q == nullptr) {
        escape_ = odd;
        i = len_;
        break;
      }
      i = stop + 1;
      if (!odd) {
        in_string_ = false;
        escape_ = false;
        break;
      }
    }
    element_.append(p + pos_, i - pos_);
    pos_ = i;
  }

  static bool is_bom_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0xEF || u == 0xBB || u == 0xBF;
  }

  // One byte of the array body outside strings; true when it ended an element.
  bool element_byte(char c, std::vector<Record>& out, std::vector<ReaderProblem>& problems) {
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
        if (!element_.empty()) element_ += c;
        return false;
      case ',':
        if (depth_ > 0) break;
        end_element(false, out, problems);
        return true;
      case ']':
      case '}':
        if (depth_ > 0) {
          --depth_;
          break;
        }
        if (c == '}') break;  // stray: the element will not parse
        end_element(true, out, problems);
        state_ = State::kEnd;
        return true;
      case '[':
      case '{':
        ++depth_;
        break;
      case '"':
        in_string_ = true;
        break;
      default:
        break;
    }
    if (element_.empty()) element_line_ = line_;
    element_ += c;
    return false;
  }

  void end_element(bool closing, std::vector<Record>& out, std::vector<ReaderProblem>& problems) {
    if (element_.empty()) {
      if (!closing || after_comma_)
        problems.push_back({Problem::kInvalidJson, where(line_), "empty array element"});
    } else {
      while (is_space(element_.back())) element_.pop_back();
      Record& r = out.emplace_back();
      r.kind = Record::Kind::kJson;
      r.text = std::move(element_);
      r.file = path_;
      r.line = element_line_;
    }
    element_.clear();
    depth_ = 0;
    after_comma_ = !closing;
  }

  // The end of the data: an array still open means the file was cut.
  void finish(std::vector<Record>& out, std::vector<ReaderProblem>& problems) override {
    if (source_->failure()) {
      std::string msg = *source_->failure();
      if (!element_.empty())
        msg += "; the incomplete element at line " + std::to_string(element_line_) + " is dropped";
      problems.push_back({Problem::kTruncated, where(line_), msg});
      return;
    }
    if (state_ != State::kElements) return;
    if (!element_.empty() && depth_ == 0 && !in_string_) {
      end_element(true, out, problems);
      problems.push_back(
          {Problem::kTruncated, where(line_), "the file ends before the array's closing ']'"});
    } else {
      std::string msg = "the file ends before the array's closing ']'";
      if (!element_.empty())
        msg += "; the incomplete element at line " + std::to_string(element_line_) + " is dropped";
      problems.push_back({Problem::kTruncated, where(line_), msg});
    }
  }

  State state_ = State::kStart;
  std::string element_;
  int64_t element_line_ = 0;
  int64_t line_ = 1;
  int64_t depth_ = 0;
  bool in_string_ = false, escape_ = false, after_comma_ = false;
};

}  // namespace

std::unique_ptr<RecordReader> open_json(std::unique_ptr<ByteSource> source) {
  // Peek at the first byte that is not whitespace or a BOM.
  std::string prefix;
  char buf[4096];
  bool array = false;
  for (bool found = false; !found;) {
    const size_t got = source->read(buf, sizeof(buf));
    if (got == 0) break;
    prefix.append(buf, got);
    for (size_t i = 0; i < got && !found; ++i) {
      const char c = buf[i];
      const bool bom = prefix.size() - got + i < 3 && (static_cast<unsigned char>(c) >= 0xBB);
      if (!is_space(c) && !bom) {
        found = true;
        array = c == '[';
      }
    }
  }
  source = prepend_bytes(std::move(prefix), std::move(source));
  if (array) return std::make_unique<JsonArrayReader>(std::move(source));
  return open_jsonl(std::move(source));
}

}  // namespace ascent::data::readers
