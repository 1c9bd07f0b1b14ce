#pragma once
// Arena: a bump allocator for the activations of one micro-batch. Allocation is a pointer bump;
// reset() frees everything at once; mark()/rewind() free everything allocated after a mark
// (recompute drops a block's stash this way). Memory comes in blocks that never move, so views
// stay valid until the arena is reset or rewound past them. When one step needed several
// blocks, reset() replaces them by one block of the peak size, so steady state is one block.
// Blocks are Buffers on the arena's device.
#include <cstddef>
#include <initializer_list>
#include <vector>

#include "core/tensor.h"

namespace ascent {

class Arena {
 public:
  explicit Arena(size_t initial_bytes = 64u << 20, Device device = Device::CPU)
      : block_bytes_(initial_bytes), device_(device) {}

  Device device() const { return device_; }

  // Uninitialised 64-byte aligned storage for a tensor.
  Tensor alloc(DType dtype, std::initializer_list<int64_t> shape);
  // Same, zero-filled.
  Tensor zeros(DType dtype, std::initializer_list<int64_t> shape);

  struct Mark {
    size_t block = 0, offset = 0, used = 0;
  };
  Mark mark() const { return {current_, offset_, used_}; }
  void rewind(const Mark& m);
  void reset();

  size_t used() const { return used_; }  // bytes live now
  size_t peak() const { return peak_; }  // most bytes live at once since construction

 private:
  std::vector<Buffer> blocks_;
  size_t block_bytes_;
  Device device_;
  size_t current_ = 0;  // index of the block being filled
  size_t offset_ = 0;   // bytes used in that block
  size_t used_ = 0;
  size_t peak_ = 0;
};

}  // namespace ascent
