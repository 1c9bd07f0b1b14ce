// MLP activations: SwiGLU (LLaMA, Baichuan) and tanh-approximated GeLU (GPT-2, Bloom).
#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/math.h"
#include "kernels/cpu/vectorize.h"

namespace ascent::kernels::cpu {
namespace {

using cpu::sigmoid_approx;
using cpu::tanh_approx;

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluCubic = 0.044715f;

ASCENT_VECTORIZE void swiglu_row(const float* gate, const float* up, float* y, int64_t F) {
#pragma omp simd
  for (int64_t j = 0; j < F; ++j) y[j] = gate[j] * sigmoid_approx(gate[j]) * up[j];
}

// d gate = dy * up * sig * (1 + g (1 - sig));  d up = dy * g * sig
ASCENT_VECTORIZE void swiglu_backward_row(const float* dy, const float* gate, const float* up,
                                          float* dgate, float* dup, int64_t F) {
#pragma omp simd
  for (int64_t j = 0; j < F; ++j) {
    const float g = gate[j], s = sigmoid_approx(g);
    const float d = dy[j];
    dgate[j] = d * up[j] * s * (1.f + g * (1.f - s));
    dup[j] = d * g * s;
  }
}

ASCENT_VECTORIZE void gelu_block(const float* x, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.f + tanh_approx(kSqrt2OverPi * (v + kGeluCubic * v * v * v)));
  }
}

// dx may alias dy: each element is read before it is written.
ASCENT_VECTORIZE void gelu_backward_block(const float* dy, const float* x, float* dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float t = tanh_approx(kSqrt2OverPi * (v + kGeluCubic * v * v * v));
    const float du = kSqrt2OverPi * (1.f + 3.f * kGeluCubic * v * v);
    dx[i] = dy[i] * (0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * du);
  }
}

void check_gelu(const Tensor& a, const Tensor& b, const char* op) {
  ASCENT_CHECK(a.numel() == b.numel())
      << op << ": shapes " << a.shape_str() << " and " << b.shape_str() << " differ";
}

}  // namespace

void swiglu_forward(const Tensor& gate_up, const Tensor& y) {
  const int64_t F = y.size(-1), N = F ? y.numel() / F : 0;
  ASCENT_CHECK(gate_up.size(-1) == 2 * F && gate_up.numel() == 2 * N * F)
      << "swiglu_forward: gate_up " << gate_up.shape_str() << " y " << y.shape_str();
  const float* pg = gate_up.f32();
  float* py = y.f32();
#pragma omp parallel for schedule(static) if (N * F > 16384)
  for (int64_t n = 0; n < N; ++n) swiglu_row(pg + 2 * n * F, pg + 2 * n * F + F, py + n * F, F);
}

void swiglu_backward(const Tensor& dy, const Tensor& gate_up, const Tensor& dgate_up) {
  const int64_t F = dy.size(-1), N = F ? dy.numel() / F : 0;
  ASCENT_CHECK(gate_up.size(-1) == 2 * F && gate_up.numel() == 2 * N * F &&
               dgate_up.numel() == gate_up.numel())
      << "swiglu_backward: dy " << dy.shape_str() << " gate_up " << gate_up.shape_str()
      << " dgate_up " << dgate_up.shape_str();
  const float *pdy = dy.f32(), *pg = gate_up.f32();
  float* pd = dgate_up.f32();
#pragma omp parallel for schedule(static) if (N * F > 16384)
  for (int64_t n = 0; n < N; ++n) {
    const int64_t r = 2 * n * F;
    swiglu_backward_row(pdy + n * F, pg + r, pg + r + F, pd + r, pd + r + F, F);
  }
}

void gelu_forward(const Tensor& x, const Tensor& y) {
  check_gelu(x, y, "gelu_forward");
  const float* px = x.f32();
  float* py = y.f32();
  const int64_t n = x.numel();
  constexpr int64_t kBlock = 8192;
#pragma omp parallel for schedule(static) if (n > 2 * kBlock)
  for (int64_t b = 0; b < n; b += kBlock) gelu_block(px + b, py + b, std::min(kBlock, n - b));
}

void gelu_backward(const Tensor& dy, const Tensor& x, const Tensor& dx) {
  check_gelu(x, dy, "gelu_backward");
  check_gelu(x, dx, "gelu_backward");
  const float *pdy = dy.f32(), *px = x.f32();
  float* pdx = dx.f32();
  const int64_t n = x.numel();
  constexpr int64_t kBlock = 8192;
#pragma omp parallel for schedule(static) if (n > 2 * kBlock)
  for (int64_t b = 0; b < n; b += kBlock)
    gelu_backward_block(pdy + b, px + b, pdx + b, std::min(kBlock, n - b));
}

}  // namespace ascent::kernels::cpu
