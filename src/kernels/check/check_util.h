#pragma once
// Small helpers shared by the checking backend's kernel checks.
#include <sstream>
#include <string>

#include "core/tensor.h"

namespace ascent::kernels::check {

// Concatenates anything streamable into a message.
template <typename... Args>
std::string msg(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

inline std::string describe(const Tensor& t) { return msg(dtype_name(t.dtype()), t.shape_str()); }

}  // namespace ascent::kernels::check
