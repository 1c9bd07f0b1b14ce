// The checking backend catches every kind of contract violation it claims to: wrong shapes and
// dtypes, tensors on another device, forbidden aliasing, modified inputs, (=) outputs left
// partly unwritten, (+=) outputs overwritten, out-of-range ids. Violations of the kernel
// implementation come from a deliberately broken CPU backend; violations of the caller from wrong
// calls. Correct calls (allowed aliasing, legitimate NaN results) pass.
#include "kernels/check/check_backend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_harness.h"
#include "kernels/cpu/cpu_backend.h"

namespace ascent {
namespace {

// A CPU backend with three broken kernels.
class BrokenBackend final : public kernels::cpu::CpuBackend {
 public:
  // Writes only the first half.
  void fill(const Tensor& x, float value) override {
    CpuBackend::fill(x.rows(0, x.size(0) / 2), value);
  }
  // Scribbles on its read-only input.
  void gelu_forward(const Tensor& x, const Tensor& y) override {
    CpuBackend::gelu_forward(x, y);
    x.f32()[x.numel() - 1] += 1.f;
  }
  // Overwrites db instead of adding to it.
  void bias_backward(const Tensor& dy, const Tensor& db) override {
    CpuBackend::fill(db, 0.f);
    CpuBackend::bias_backward(dy, db);
  }
};

class CheckBackendDeathTest : public testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  kernels::cpu::CpuBackend cpu_;
  kernels::check::CheckingBackend check_{cpu_};
  BrokenBackend broken_;
  kernels::check::CheckingBackend check_broken_{broken_};
};

TEST_F(CheckBackendDeathTest, WrongShape) {
  auto a = test::zeros({4, 5}), b = test::zeros({6, 3}), c = test::zeros({4, 3});
  EXPECT_DEATH(check_.matmul(*a, false, *b, false, *c, false),
               "\\[check\\] matmul: argument b: matmul shapes");
  auto x = test::zeros({3, 8}), w = test::zeros({7}), y = test::zeros({3, 8}), r = test::zeros({3});
  EXPECT_DEATH(check_.rmsnorm_forward(*x, *w, 1e-5f, *y, *r),
               "\\[check\\] rmsnorm_forward: argument w: shape \\[7\\] has 7 elements, contract "
               "wants 8");
}

TEST_F(CheckBackendDeathTest, WrongDtype) {
  OwnedTensor x(DType::BF16, {16});
  EXPECT_DEATH(check_.fill(*x, 1.f),
               "\\[check\\] fill: argument x: dtype bf16, contract wants f32");
  auto p = test::zeros({8}), g = test::zeros({8}), m = test::zeros({8});
  OwnedTensor v(DType::F16, {8});
  EXPECT_DEATH(check_.adamw_step(kernels::AdamWArgs(), *p, *g, *m, *v),
               "adamw_step: argument v: dtype f16");
}

TEST_F(CheckBackendDeathTest, TensorOnAnotherDevice) {
  auto a = test::randn({8}, 1), b = test::randn({8}, 2), y = test::zeros({8});
  const Tensor y_elsewhere(y->data(), DType::F32, {8}, Device::CUDA);
  EXPECT_DEATH(check_.add(*a, *b, y_elsewhere),
               "\\[check\\] add: argument y: on device cuda, the backend runs on cpu");
}

TEST_F(CheckBackendDeathTest, ForbiddenAliasing) {
  auto x = test::randn({3, 8}, 1), w = test::randn({8}, 2), r = test::zeros({3});
  EXPECT_DEATH(check_.rmsnorm_forward(*x, *w, 1e-5f, *x, *r),
               "rmsnorm_forward: argument y: written, but overlaps argument x \\(the contract "
               "allows no aliasing here\\)");
  // add's y may alias a, but only as the very same view.
  auto a = test::randn({9}, 3), b = test::randn({8}, 4);
  const Tensor a8 = a->rows(0, 8), shifted = a->rows(1, 9);
  EXPECT_DEATH(check_.add(a8, *b, shifted),
               "add: argument y: written, but overlaps argument a \\(may alias only as exactly "
               "the same view\\)");
  // Two outputs sharing memory.
  auto ln = test::randn({4, 8}, 5), lw = test::randn({8}, 6), lb = test::randn({8}, 7);
  auto ly = test::zeros({4, 8}), stats = test::zeros({4});
  EXPECT_DEATH(check_.layernorm_forward(*ln, *lw, *lb, 1e-5f, *ly, *stats, *stats),
               "layernorm_forward: argument mean: written, but overlaps argument rstd");
}

TEST_F(CheckBackendDeathTest, ModifiedInput) {
  auto x = test::randn({64}, 1), y = test::zeros({64});
  EXPECT_DEATH(check_broken_.gelu_forward(*x, *y),
               "\\[check\\] gelu_forward: argument x: read-only input was modified");
}

TEST_F(CheckBackendDeathTest, OutputNotFullyWritten) {
  auto x = test::randn({10, 4}, 1);
  EXPECT_DEATH(check_broken_.fill(*x, 2.f),
               "\\[check\\] fill: argument x: \\(=\\) output \\[10, 4\\]: 20 of 40 elements not "
               "written \\(first at flat index 20\\)");
}

TEST_F(CheckBackendDeathTest, AccumulatorOverwritten) {
  auto dy = test::randn({16, 8}, 1), db = test::randn({8}, 2, 1.f, 100.f);
  EXPECT_DEATH(check_broken_.bias_backward(*dy, *db),
               "\\[check\\] bias_backward: argument db: \\(\\+=\\) output \\[8\\] did not "
               "accumulate");
}

TEST_F(CheckBackendDeathTest, IdsOutOfRange) {
  auto table = test::randn({5, 4}, 1), out = test::zeros({3, 4});
  const std::vector<int32_t> tokens = {0, 5, 1};
  EXPECT_DEATH(check_.embedding_forward(tokens.data(), *table, *out),
               "embedding_forward: argument tokens: element 1 is 5, want \\[0, 5\\)");
  auto logits = test::randn({3, 5}, 2), losses = test::zeros({3}), lse = test::zeros({3});
  const std::vector<int32_t> targets = {kernels::kIgnoreIndex, -2, 4};
  EXPECT_DEATH(check_.cross_entropy_forward(*logits, targets.data(), 0.f, *losses, *lse),
               "cross_entropy_forward: argument targets: element 1 is -2");
}

// The broken kernels pass their own checks when used correctly elsewhere: the checker does not
// flag correct calls, including the aliasing the contract allows and NaN results.
TEST_F(CheckBackendDeathTest, CorrectCallsPass) {
  auto a = test::randn({32}, 1), b = test::randn({32}, 2);
  check_.add(*a, *b, *a);  // y aliases a
  auto x = test::randn({32}, 3), dy = test::randn({32}, 4);
  check_.gelu_backward(*dy, *x, *dy);  // dx aliases dy
  auto logits = test::randn({4, 6}, 5), lse = test::zeros({4}), losses = test::zeros({4});
  const std::vector<int32_t> targets = {1, kernels::kIgnoreIndex, 5, 0};
  check_.cross_entropy_forward(*logits, targets.data(), 0.f, *losses, *lse);
  check_.cross_entropy_backward(*logits, targets.data(), *lse, 0.f, 1.f, *logits);
  // NaN in, NaN out: a legitimate result, not an unwritten element.
  auto nan_in = test::randn({16}, 6), y = test::zeros({16});
  nan_in->f32()[3] = std::numeric_limits<float>::quiet_NaN();
  check_.gelu_forward(*nan_in, *y);
  EXPECT_TRUE(std::isnan(y->f32()[3]));
  check_.fill(*y, std::numeric_limits<float>::quiet_NaN());
  // Accumulators starting at zero, and ones that grow.
  auto dyb = test::randn({16, 8}, 7), db = test::randn({8}, 8, 1.f, 100.f);
  check_.bias_backward(*dyb, *db);
  auto m = test::randn({5, 7}, 9), n = test::randn({7, 3}, 10), c = test::randn({5, 3}, 11);
  check_.matmul(*m, false, *n, false, *c, true);
  check_.matmul(*m, false, *n, false, *c, false);
}

}  // namespace
}  // namespace ascent
