#pragma once
// Splits a byte stream into lines through one growing buffer (memchr over large reads).
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "data/readers/byte_source.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers {

class LineReader {
 public:
  explicit LineReader(std::unique_ptr<ByteSource> source, size_t buffer_bytes = 1 << 20);

  // The next line without its '\n' (a '\r' before it is kept; a UTF-8 BOM at the start of the
  // file is dropped); false at the end. `line` stays valid until the next call. A last line
  // without '\n' is returned too, unless the stream was cut (source().failure()): such a line is
  // incomplete and is dropped (see end_problem()).
  bool next(std::string_view& line);
  // 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }
  // After next() returned false: kTruncated at "file:line" when the stream was cut.
  std::optional<ReaderProblem> end_problem() const;
  // On-disk bytes of the lines returned so far (ByteSource::bytes_used).
  int64_t bytes_used() const { return source_->bytes_used(static_cast<int64_t>(end_ - begin_)); }
  ByteSource& source() { return *source_; }
  const ByteSource& source() const { return *source_; }

 private:
  std::unique_ptr<ByteSource> source_;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0, scanned_ = 0;
  bool eof_ = false;
  bool dropped_partial_ = false;
  int64_t line_number_ = 0;
};

}  // namespace ascent::data::readers
