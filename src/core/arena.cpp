#include "core/arena.h"

#include <algorithm>
#include <cstring>

namespace ascent {

Tensor Arena::alloc(DType dtype, std::initializer_list<int64_t> shape) {
  Tensor probe(nullptr, dtype, shape);
  const size_t bytes = (probe.nbytes() + 63) / 64 * 64;
  while (true) {
    if (current_ < blocks_.size() && offset_ + bytes <= blocks_[current_].nbytes()) break;
    if (current_ + 1 < blocks_.size() && offset_ > 0) {
      // Move on to the next existing block (after a rewind into an earlier one).
      ++current_;
      offset_ = 0;
      continue;
    }
    if (current_ < blocks_.size() && offset_ == 0 && blocks_[current_].nbytes() < bytes) {
      blocks_[current_] = Buffer(std::max(bytes, block_bytes_), /*zero=*/false, device_);
      break;
    }
    blocks_.emplace_back(std::max(bytes, block_bytes_), /*zero=*/false, device_);
    current_ = blocks_.size() - 1;
    offset_ = 0;
  }
  void* p = static_cast<char*>(blocks_[current_].data()) + offset_;
  offset_ += bytes;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return Tensor(p, dtype, shape, device_);
}

Tensor Arena::zeros(DType dtype, std::initializer_list<int64_t> shape) {
  Tensor t = alloc(dtype, shape);
  if (t.nbytes() > 0) allocator(device_).zero(t.data(), t.nbytes());
  return t;
}

void Arena::rewind(const Mark& m) {
  current_ = m.block;
  offset_ = m.offset;
  used_ = m.used;
}

void Arena::reset() {
  if (blocks_.size() > 1) {
    // Coalesce: one block large enough for the peak (plus per-block slack already counted).
    blocks_.clear();
    block_bytes_ = std::max(block_bytes_, peak_ + (1u << 20));
    blocks_.emplace_back(block_bytes_, /*zero=*/false, device_);
  }
  current_ = 0;
  offset_ = 0;
  used_ = 0;
}

}  // namespace ascent
