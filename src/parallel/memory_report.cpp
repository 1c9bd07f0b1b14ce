#include "parallel/memory_report.h"

#include <cstdio>

#include "core/error.h"
#include "parallel/dp/zero.h"

namespace ascent::parallel {

MemoryReport memory_report(const MemoryInputs& in) {
  ASCENT_CHECK(in.params >= 0 && in.dp_size >= 1 && in.dp_rank >= 0 && in.dp_rank < in.dp_size &&
               in.zero_stage >= 0 && in.zero_stage <= 3 && in.optimizer_states >= 0)
      << "[parallel] memory_report inputs";
  MemoryReport r;
  const int64_t n = in.params;
  const int64_t s = dp::partition(n, in.dp_size)[in.dp_rank].count;
  const int stage = in.zero_stage;
  const bool separate_compute = in.compute_dtype != DType::F32;
  r.shard = s;
  if (separate_compute)
    r.compute_bytes = static_cast<int64_t>(dtype_size(in.compute_dtype)) * (stage >= 3 ? s : n);
  // The f32 master stays whole below stage 3: the layers read norm weights and biases from it.
  r.master_bytes = 4 * (stage >= 3 ? s : n);
  r.grad_bytes = 4 * (stage >= 2 ? s : n);
  r.optimizer_bytes = int64_t{4} * in.optimizer_states * (stage >= 1 ? s : n);
  if (stage >= 3) r.scratch_bytes = int64_t{4} * in.gather_slots * in.gather_max;
  return r;
}

std::string MemoryReport::to_string() const {
  auto mib = [](int64_t b) { return static_cast<double>(b) / (1 << 20); };
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "model state per rank: %.1f MiB (compute copy %.1f, master %.1f, gradients %.1f, "
                "optimizer %.1f, gather scratch %.1f)",
                mib(total()), mib(compute_bytes), mib(master_bytes), mib(grad_bytes),
                mib(optimizer_bytes), mib(scratch_bytes));
  return buf;
}

}  // namespace ascent::parallel
