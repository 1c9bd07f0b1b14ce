#pragma once
// --bf16 / --fp16: the dtype of the matmul operands (fp32 master weights and optimizer state stay
// fp32; --fp16 trains with loss scaling, optim/loss_scaler.h). Shared by train, generate and plan.
#include <string_view>

#include "core/dtype.h"
#include "core/flags.h"

namespace ascent {

struct Precision {
  bool bf16 = false, fp16 = false;

  // The flags above, bound to this instance, with `ascent train`'s help (core/flags.h).
  flags::Table flags();
  // Throws "[scope] --bf16 and --fp16 exclude each other".
  void validate(std::string_view scope) const;
  // f32, or the matmul operand dtype of --bf16 / --fp16.
  DType compute_dtype() const { return bf16 ? DType::BF16 : fp16 ? DType::F16 : DType::F32; }
};

}  // namespace ascent
