#pragma once
// Global gradient norm and clipping coefficient (Megatron: clip_coeff = max_norm / (norm + 1e-6),
// applied only when below 1). The coefficient is folded into the optimizer step's grad_scale
// instead of rescaling the gradient buffer.
#include <cstddef>

namespace ascent {

// L2 norm of grad[0, n) (deterministic, any thread count).
double global_grad_norm(const float* grad, size_t n);
// Multiplier for the gradients: 1 when max_norm <= 0 (off) or norm <= max_norm.
float clip_coefficient(double norm, float max_norm);

}  // namespace ascent
