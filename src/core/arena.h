#pragma once
// Arena: a bump allocator for activations of one micro-batch. Allocation is a pointer bump;
// reset() frees everything at once; mark()/rewind() free everything allocated after a mark
// (recompute drops a block's stash this way). Memory is reserved once and never moves, so
// views stay valid until the arena is reset or rewound past them.
#include <cstddef>
#include <initializer_list>

#include "core/tensor.h"

namespace ascent {

class Arena {
 public:
  Arena() = default;
  explicit Arena(size_t capacity_bytes) : buf_(capacity_bytes) {}

  // Uninitialised storage for a tensor (64-byte aligned). Fails a check when full.
  Tensor alloc(DType dtype, std::initializer_list<int64_t> shape);
  // Same, zero-filled.
  Tensor zeros(DType dtype, std::initializer_list<int64_t> shape);

  size_t mark() const { return used_; }
  void rewind(size_t mark) { used_ = mark; }
  void reset() { used_ = 0; }

  size_t used() const { return used_; }
  size_t peak() const { return peak_; }
  size_t capacity() const { return buf_.nbytes(); }

 private:
  Buffer buf_;
  size_t used_ = 0;
  size_t peak_ = 0;
};

}  // namespace ascent
