#pragma once
// What the kernels use on this machine, as detected at run time: for `ascent --version` and
// `ascent env` (bug reports) and benchmark headers.
#include <string>

namespace ascent::kernels {

// The clone of the ASCENT_VECTORIZE loops the loader picked (kernels/cpu/vectorize.h):
// "x86-64-v4 (AVX-512)", "x86-64-v3 (AVX2, FMA)" or "x86-64 baseline (SSE2)".
std::string vector_code_in_use();
// oneDNN's version ("2.6.3") and the instruction set its matmuls use ("avx512_core_bf16").
std::string onednn_version();
std::string onednn_isa();

}  // namespace ascent::kernels
