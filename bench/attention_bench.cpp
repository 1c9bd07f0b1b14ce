// Causal attention forward / backward throughput. GFLOP/s counts the useful causal work:
// forward = 2 matmuls (QK^T, PV) over the lower triangle = 2 * 2 * B*NH*T*T*HS / 2,
// backward = 5 such matmuls (S recompute, dP, dV, dK, dQ) = 2.5 x forward.
// Args: B, T, NH, KVH, HS. Thread count from OMP_NUM_THREADS. The *Dropout10 cases run the R1
// shapes with attention dropout p = 0.1 (mask regenerated in both passes; same FLOP count).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "core/tensor.h"
#include "kernels/kernels.h"

namespace {

using ascent::DType;
using ascent::OwnedTensor;
using ascent::kernels::AttentionDims;

struct Setup {
  AttentionDims d;
  OwnedTensor qkv, out, lse, dout, dqkv;
  explicit Setup(const benchmark::State& state)
      : qkv(DType::F32, {state.range(0) * state.range(1),
                         (state.range(2) + 2 * state.range(3)) * state.range(4)}),
        out(DType::F32, {state.range(0) * state.range(1), state.range(2) * state.range(4)}),
        lse(DType::F32, {state.range(0), state.range(2), state.range(1)}),
        dout(DType::F32, {state.range(0) * state.range(1), state.range(2) * state.range(4)}),
        dqkv(DType::F32, {state.range(0) * state.range(1),
                          (state.range(2) + 2 * state.range(3)) * state.range(4)}) {
    d.B = state.range(0), d.T = state.range(1), d.NH = state.range(2), d.KVH = state.range(3);
    d.HS = state.range(4);
    d.scale = 1.f / std::sqrt(static_cast<float>(d.HS));
    std::mt19937 gen(1);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (int64_t i = 0; i < qkv->numel(); ++i) qkv->f32()[i] = normal(gen);
    for (int64_t i = 0; i < dout->numel(); ++i) dout->f32()[i] = normal(gen);
  }
  double forward_flops() const {
    return 2.0 * d.B * d.NH * static_cast<double>(d.T) * static_cast<double>(d.T) * d.HS;
  }
};

void run_forward(benchmark::State& state, float dropout) {
  Setup s(state);
  s.d.dropout = dropout, s.d.dropout_seed = 1, s.d.dropout_stream = 2;
  for (auto _ : state) ascent::kernels::attention_forward(s.d, *s.qkv, *s.out, *s.lse);
  state.counters["GFLOP/s"] =
      benchmark::Counter(s.forward_flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void run_backward(benchmark::State& state, float dropout) {
  Setup s(state);
  s.d.dropout = dropout, s.d.dropout_seed = 1, s.d.dropout_stream = 2;
  ascent::kernels::attention_forward(s.d, *s.qkv, *s.out, *s.lse);
  for (auto _ : state)
    ascent::kernels::attention_backward(s.d, *s.qkv, *s.out, *s.lse, *s.dout, *s.dqkv);
  state.counters["GFLOP/s"] = benchmark::Counter(2.5 * s.forward_flops() * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_AttentionForward(benchmark::State& state) { run_forward(state, 0.f); }
void BM_AttentionBackward(benchmark::State& state) { run_backward(state, 0.f); }
void BM_AttentionForwardDropout10(benchmark::State& state) { run_forward(state, 0.1f); }
void BM_AttentionBackwardDropout10(benchmark::State& state) { run_backward(state, 0.1f); }

// R1 (B=8, T=256, NH=6, HS=48) as MHA and two GQA groupings, then a long-sequence case.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"B", "T", "NH", "KVH", "HS"});
  b->Args({8, 256, 6, 6, 48});
  b->Args({8, 256, 6, 3, 48});
  b->Args({8, 256, 6, 2, 48});
  b->Args({1, 2048, 8, 2, 64});
  // Real time for the rate; the CPU column is the whole process (all threads), which shows how
  // much of the machine the run actually got when the cores are shared.
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
}

BENCHMARK(BM_AttentionForward)->Apply(shapes);
BENCHMARK(BM_AttentionBackward)->Apply(shapes);

void r1_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"B", "T", "NH", "KVH", "HS"});
  b->Args({8, 256, 6, 6, 48});
  b->Args({8, 256, 6, 2, 48});
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
}

BENCHMARK(BM_AttentionForwardDropout10)->Apply(r1_shapes);
BENCHMARK(BM_AttentionBackwardDropout10)->Apply(r1_shapes);

}  // namespace

BENCHMARK_MAIN();
