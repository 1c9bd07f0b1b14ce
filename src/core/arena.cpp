#include "core/arena.h"

#include <algorithm>
#include <cstring>

namespace ascent {

Tensor Arena::alloc(DType dtype, std::initializer_list<int64_t> shape) {
  Tensor probe(nullptr, dtype, shape);
  size_t bytes = (probe.nbytes() + 63) / 64 * 64;
  ASCENT_CHECK(used_ + bytes <= buf_.nbytes())
      << "arena full: need " << bytes << " more bytes, " << (buf_.nbytes() - used_) << " free of "
      << buf_.nbytes();
  void* p = static_cast<char*>(buf_.data()) + used_;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return Tensor(p, dtype, shape);
}

Tensor Arena::zeros(DType dtype, std::initializer_list<int64_t> shape) {
  Tensor t = alloc(dtype, shape);
  std::memset(t.data(), 0, t.nbytes());
  return t;
}

}  // namespace ascent
