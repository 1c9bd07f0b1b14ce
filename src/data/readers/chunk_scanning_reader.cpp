#include "data/readers/chunk_scanning_reader.h"

namespace ascent::data::readers {

namespace {
constexpr size_t kChunk = 1 << 20;
}  // namespace

ChunkScanningReader::ChunkScanningReader(std::unique_ptr<ByteSource> source)
    : source_(std::move(source)), path_(source_->path()), chunk_(kChunk) {}

bool ChunkScanningReader::next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                                     size_t max_bytes) {
  if (ended_) return false;
  const size_t before = out.size() + problems.size();
  size_t used = 0;
  while (used < max_bytes || used == 0) {
    if (pos_ == len_) {
      len_ = source_->read(chunk_.data(), chunk_.size());
      pos_ = 0;
      if (len_ == 0) {
        finish(out, problems);
        ended_ = true;
        break;
      }
    }
    const size_t start = pos_;
    scan(out, problems);
    used += pos_ - start;
  }
  return !ended_ || out.size() + problems.size() > before;
}

}  // namespace ascent::data::readers
