#include "kernels/cpu_features.h"

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.h>

namespace ascent::kernels {

std::string vector_code_in_use() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  // The same test GCC's target_clones resolver makes when the program loads.
  if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4 (AVX-512)";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3 (AVX2, FMA)";
  return "x86-64 baseline (SSE2)";
#else
  return "portable (no run-time dispatch on this compiler or CPU)";
#endif
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
}

std::string onednn_isa() {
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41:
      return "sse41";
    case dnnl_cpu_isa_avx:
      return "avx";
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx2_vnni:
      return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    default:
      return fmt::format("0x{:x}", static_cast<unsigned>(dnnl_get_effective_cpu_isa()));
  }
}

}  // namespace ascent::kernels
