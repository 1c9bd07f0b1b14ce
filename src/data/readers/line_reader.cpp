#include "data/readers/line_reader.h"

#include <cstring>

namespace ascent::data::readers {

LineReader::LineReader(std::unique_ptr<ByteSource> source, size_t buffer_bytes)
    : source_(std::move(source)), buf_(buffer_bytes) {}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* base = buf_.data();
    const void* nl = std::memchr(base + scanned_, '\n', end_ - scanned_);
    size_t len = 0, skip = 0;
    if (nl != nullptr) {
      len = static_cast<const char*>(nl) - (base + begin_);
      skip = 1;
    } else if (eof_) {
      if (begin_ == end_) return false;
      if (source_->failure()) {  // the cut last line is incomplete
        dropped_partial_ = true;
        begin_ = scanned_ = end_;
        return false;
      }
      len = end_ - begin_;
    } else {
      // Keep the partial line, make room and read more.
      if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      scanned_ = end_;
      if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
      const size_t got = source_->read(buf_.data() + end_, buf_.size() - end_);
      if (got == 0) eof_ = true;
      end_ += got;
      continue;
    }
    line = std::string_view(base + begin_, len);
    begin_ += len + skip;
    scanned_ = begin_;
    if (++line_number_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    return true;
  }
}

std::optional<ReaderProblem> LineReader::end_problem() const {
  if (!source_->failure()) return std::nullopt;
  std::string msg = *source_->failure();
  if (dropped_partial_) msg += "; the incomplete last line is dropped";
  return ReaderProblem{Problem::kTruncated,
                       source_->path() + ":" + std::to_string(line_number_ + 1), msg};
}

}  // namespace ascent::data::readers
