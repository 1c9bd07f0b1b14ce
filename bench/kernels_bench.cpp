// Kernel throughput on the model's hot shapes (B*T = 2048 tokens, C = 288, F = 768, V = 32000).
// Matmul reports GFLOP/s (2*M*N*K per call); the memory-bound loops report GB/s of the bytes
// they must touch. Thread count from OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "kernels/kernels.h"

namespace {

using ascent::DType;
using ascent::OwnedTensor;
namespace k = ascent::kernels;

OwnedTensor randn(DType dtype, std::initializer_list<int64_t> shape, uint64_t stream) {
  OwnedTensor f(DType::F32, shape);
  ascent::Rng(1, stream).fill_normal(f->f32(), static_cast<uint64_t>(f->numel()), 1.f);
  if (dtype == DType::F32) return f;
  OwnedTensor t(dtype, shape);
  ascent::copy_convert(*f, *t);
  return t;
}

void set_rate(benchmark::State& state, const char* name, double per_iteration) {
  state.counters[name] =
      benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

// Args: M, N, K, trans_a, trans_b, accumulate, bf16.
void BM_Matmul(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const bool ta = state.range(3), tb = state.range(4), acc = state.range(5);
  const DType dt = state.range(6) ? DType::BF16 : DType::F32;
  auto a = ta ? randn(dt, {K, M}, 1) : randn(dt, {M, K}, 1);
  auto b = tb ? randn(dt, {N, K}, 2) : randn(dt, {K, N}, 2);
  OwnedTensor c(DType::F32, {M, N});
  k::matmul(*a, ta, *b, tb, *c, acc);  // builds the cached primitive
  for (auto _ : state) k::matmul(*a, ta, *b, tb, *c, acc);
  set_rate(state, "GFLOP/s", 2e-9 * double(M) * double(N) * double(K));
}

// Each model matmul with its two backward products (dX = dY W, dW += dY^T X).
void matmul_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "ta", "tb", "acc", "bf16"});
  struct Linear {
    int64_t tokens, in, out;
  };
  const Linear layers[] = {
      {2048, 288, 32000}, {2048, 288, 864}, {2048, 768, 288}, {2048, 288, 1536}};
  for (int64_t bf16 : {0, 1})
    for (const Linear& l : layers) {
      b->Args({l.tokens, l.out, l.in, 0, 1, 0, bf16});  // Y = X W^T
      b->Args({l.tokens, l.in, l.out, 0, 0, 0, bf16});  // dX = dY W
      b->Args({l.out, l.in, l.tokens, 1, 0, 1, bf16});  // dW += dY^T X
    }
}
// With --benchmark_repetitions, the "max" row's GFLOP/s is the best repetition (the least disturbed
// on a shared machine); its time column is the slowest one.
BENCHMARK(BM_Matmul)
    ->Apply(matmul_args)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("max", [](const std::vector<double>& v) {
      return *std::max_element(v.begin(), v.end());
    });

void BM_CrossEntropy(benchmark::State& state) {
  const int64_t N = 2048, V = 32000;
  auto logits = randn(DType::F32, {N, V}, 3);
  OwnedTensor losses(DType::F32, {N}), lse(DType::F32, {N}), dlogits(DType::F32, {N, V});
  std::vector<int32_t> targets(N);
  for (int64_t n = 0; n < N; ++n) targets[n] = static_cast<int32_t>((n * 131) % V);
  for (auto _ : state) {
    k::cross_entropy_forward(*logits, targets.data(), 1e-4f, *losses, *lse);
    k::cross_entropy_backward(*logits, targets.data(), *lse, 1e-4f, 1.f, *dlogits);
  }
  set_rate(state, "GB/s", 3e-9 * double(N * V) * 4);  // read, read, write
}
BENCHMARK(BM_CrossEntropy)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RmsNorm(benchmark::State& state) {
  const int64_t N = 2048, C = 288;
  auto x = randn(DType::F32, {N, C}, 4), w = randn(DType::F32, {C}, 5);
  auto dy = randn(DType::F32, {N, C}, 6);
  OwnedTensor y(DType::F32, {N, C}), rstd(DType::F32, {N}), dx(DType::F32, {N, C}),
      dw(DType::F32, {C});
  for (auto _ : state) {
    k::rmsnorm_forward(*x, *w, 1e-5f, *y, *rstd);
    k::rmsnorm_backward(*dy, *x, *w, *rstd, *dx, *dw);
  }
  set_rate(state, "GB/s", 6e-9 * double(N * C) * 4);
}
BENCHMARK(BM_RmsNorm)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_SwiGLU(benchmark::State& state) {
  const int64_t N = 2048, F = 768;
  auto gu = randn(DType::F32, {N, 2 * F}, 7), dy = randn(DType::F32, {N, F}, 8);
  OwnedTensor y(DType::F32, {N, F}), dgu(DType::F32, {N, 2 * F});
  for (auto _ : state) {
    k::swiglu_forward(*gu, *y);
    k::swiglu_backward(*dy, *gu, *dgu);
  }
  set_rate(state, "GB/s", 9e-9 * double(N * F) * 4);
}
BENCHMARK(BM_SwiGLU)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_AdamW(benchmark::State& state) {
  const int64_t n = 15'000'000;
  auto p = randn(DType::F32, {n}, 9), g = randn(DType::F32, {n}, 10);
  OwnedTensor m(DType::F32, {n}), v(DType::F32, {n});
  k::AdamWArgs a;
  for (auto _ : state) k::adamw_step(a, *p, *g, *m, *v);
  set_rate(state, "GB/s", 7e-9 * double(n) * 4);
}
BENCHMARK(BM_AdamW)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
