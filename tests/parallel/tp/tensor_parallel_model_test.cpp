// Tensor (and sequence) parallel transformer against the whole model in one process: ranks are
// paired into TP groups of 2; each pair runs the same micro-batches on its two shards and must
// reproduce the single-process losses and every gradient slice (f32: 1e-5 relative).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/shard_copy.h"
#include "model/transformer.h"
#include "parallel/dp/grad_ranges.h"
#include "parallel/mpi_test_env.h"
#include "parallel/tp/comm_tensor_parallel.h"
#include "support/tiny_models.h"

namespace ascent::parallel {
namespace {

using ascent::testing::random_tokens;
using ascent::testing::tiny_config;

constexpr int kTp = 2;

// The TP group of this rank: world ranks {2k, 2k+1}. A rank left alone (odd world size) gets a
// group of one and skips.
const Comm& tp_pair() {
  static Comm pair = [] {
    const Comm& w = testing::world();
    MPI_Comm c;
    MPI_Comm_split(w.handle(), w.rank() / kTp, w.rank(), &c);
    return Comm(c, "tp", testing::watchdog());
  }();
  return pair;
}

// Norm of the difference over the reference's norm, or over `floor` when that is larger: some
// gradients are zero in exact arithmetic (a key bias shifts every score of a row alike), and
// their rounding noise has no relative accuracy.
double rel_err(const float* a, const float* ref, int64_t n, double floor) {
  double d = 0, r = 0;
  for (int64_t i = 0; i < n; ++i) {
    d += (static_cast<double>(a[i]) - ref[i]) * (static_cast<double>(a[i]) - ref[i]);
    r += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(d) / std::max({std::sqrt(r), floor, 1e-30});
}

void check_tp(const std::string& variant, bool sp, float dropout, DType dtype) {
  const Comm& g = tp_pair();
  if (g.size() != kTp) GTEST_SKIP() << "odd rank out";
  SCOPED_TRACE(variant + (sp ? " tp2+sp" : " tp2") + (dtype == DType::BF16 ? " bf16" : " f32") +
               " dropout " + std::to_string(dropout));
  ModelConfig cfg = tiny_config(variant);
  cfg.hidden_dropout = cfg.attention_dropout = dropout;
  if (cfg.ffn_hidden_size % kTp) cfg.ffn_hidden_size += 1;
  const int64_t B = 2, T = 8, M = 2;
  std::vector<std::vector<int32_t>> tokens, targets;
  for (int64_t m = 0; m < M; ++m) {
    tokens.push_back(random_tokens(B * T, cfg.vocab_size, 20 + m));
    targets.push_back(random_tokens(B * T, cfg.vocab_size, 40 + m));
    targets.back()[3] = kernels::kIgnoreIndex;
  }
  auto mb = [&](int64_t m) {
    return MicroBatch{B,      T, tokens[m].data(), targets[m].data(), nullptr, 77 + uint64_t(m),
                      nullptr};
  };

  ModelWeights whole(cfg, dtype);
  whole.init_random(3);
  Transformer ref(whole);
  ModelParallelConfig mp;
  mp.tensor_model_parallel_size = kTp;
  ModelWeights mine(cfg, dtype, mp.shard(cfg, g.rank(), 0));
  mine.init_random(3);
  tp::CommTensorParallel group(g);
  TransformerOptions o;
  o.tp.group = &group;
  o.tp.sequence_parallel = sp;
  Transformer t(mine, o);

  const double tol = dtype == DType::F32 ? 1e-5 : 2e-2;
  for (int64_t m = 0; m < M; ++m) {
    const LossSum want = ref.forward_backward(mb(m), 0.05f);
    const LossSum got = t.forward_backward(mb(m), 0.05f);
    EXPECT_EQ(got.tokens, want.tokens);
    EXPECT_NEAR(got.sum, want.sum, tol * std::fabs(want.sum)) << "micro-batch " << m;
    const LossSum eval_want = ref.forward(mb(m));
    const LossSum eval_got = t.forward(mb(m));
    EXPECT_NEAR(eval_got.sum, eval_want.sum, tol * std::fabs(eval_want.sum));
  }
  if (sp) dp::sum_replicated_grads(mine, group);
  double whole_norm = 0;
  for (int64_t i = 0; i < whole.size(); ++i)
    whole_norm += double(whole.grad()[i]) * whole.grad()[i];
  const double floor = 1e-2 * std::sqrt(whole_norm);
  for (const ParamSpec& s : mine.layout().specs()) {
    const ParamSpec* w = whole.layout().find(s.name);
    ASSERT_NE(w, nullptr) << s.name;
    std::vector<float> want(s.numel);
    global_to_shard(s, whole.grad() + w->offset, want.data());
    EXPECT_LT(rel_err(mine.grad() + s.offset, want.data(), s.numel, floor),
              dtype == DType::F32 ? 1e-5 : 2e-2)
        << s.name;
  }
}

TEST(TensorParallelModel, EveryFamilyMatchesOneProcess) {
  for (const std::string& v : ascent::testing::tiny_variants()) check_tp(v, false, 0.f, DType::F32);
}

TEST(TensorParallelModel, SequenceParallel) {
  for (const char* v : {"gqa", "bloom", "gpt2"}) check_tp(v, true, 0.f, DType::F32);
}

TEST(TensorParallelModel, DropoutMasksAreTheWholeModels) {
  check_tp("gqa", false, 0.1f, DType::F32);
  check_tp("bloom", true, 0.1f, DType::F32);
}

TEST(TensorParallelModel, Bf16) {
  check_tp("gqa", true, 0.f, DType::BF16);
  check_tp("bloom", false, 0.f, DType::BF16);
}

}  // namespace
}  // namespace ascent::parallel
