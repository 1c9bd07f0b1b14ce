#pragma once
// Internal to readers/: the common loop of the readers that cut records out of the byte stream
// with a state machine (a JSON array, CSV). The file is read in 1 MiB chunks and never held whole.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/readers/byte_source.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers {

class ChunkScanningReader : public RecordReader {
 public:
  // Refills the chunk and calls scan() until about max_bytes are consumed; at the end of the
  // bytes calls finish() once.
  bool next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                  size_t max_bytes) final;
  int64_t bytes_done() const final {
    return source_->bytes_used(static_cast<int64_t>(len_ - pos_));
  }
  int64_t bytes_total() const final { return source_->bytes_total(); }

 protected:
  explicit ChunkScanningReader(std::unique_ptr<ByteSource> source);

  // Consumes chunk_ from pos_ up to len_, or stops after the end of one record.
  virtual void scan(std::vector<Record>& out, std::vector<ReaderProblem>& problems) = 0;
  // The bytes have run out (or the source failed: source_->failure()).
  virtual void finish(std::vector<Record>& out, std::vector<ReaderProblem>& problems) = 0;

  std::string where(int64_t line) const { return path_ + ":" + std::to_string(line); }

  std::unique_ptr<ByteSource> source_;
  std::string path_;
  std::vector<char> chunk_;
  size_t pos_ = 0, len_ = 0;

 private:
  bool ended_ = false;
};

}  // namespace ascent::data::readers
