// Backend selection: ASCENT_BACKEND at the first kernel call, set_backend from code, and the
// checking backend giving the CPU backend's results bit for bit.
#include "kernels/backend.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "kernel_harness.h"

namespace ascent {
namespace {

// Restores the backend active when the test started.
class BackendGuard {
 public:
  BackendGuard() : name_(kernels::backend().name()) {}
  ~BackendGuard() { kernels::set_backend(name_); }

 private:
  std::string name_;
};

TEST(Backend, FirstUseFollowsTheEnvironment) {
  // Each ctest entry is a fresh process, and every test that switches restores: the active
  // backend is the one ASCENT_BACKEND names (the check_* ctest entries set it), cpu when unset.
  const char* env = std::getenv("ASCENT_BACKEND");
  const std::string want = env != nullptr && env[0] != '\0' ? env : "cpu";
  EXPECT_EQ(kernels::backend().name(), want);
}

TEST(Backend, SetBackendSwitchesAndRejectsUnknownNames) {
  BackendGuard guard;
  kernels::set_backend("check");
  EXPECT_STREQ(kernels::backend().name(), "check");
  EXPECT_EQ(kernels::backend().device(), Device::CPU);
  kernels::set_backend("cpu");
  EXPECT_STREQ(kernels::backend().name(), "cpu");
  EXPECT_EQ(&kernels::backend(), &kernels::backend_named("cpu"));
  EXPECT_THROW(kernels::set_backend("cuda-someday"), Error);
  EXPECT_STREQ(kernels::backend().name(), "cpu");
}

TEST(Backend, FreeFunctionsGoThroughTheActiveBackend) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  BackendGuard guard;
  kernels::set_backend("check");
  // A call that breaks the contract in a way the CPU kernel tolerates (copy onto itself) is
  // caught only if the free function reached the checking backend.
  auto x = test::randn({8}, 1);
  EXPECT_DEATH(kernels::copy(*x, *x), "\\[check\\] copy: argument dst: written, but overlaps");
}

// Same bits from the CPU backend and the checking backend for a few kernels of each kind.
TEST(Backend, CheckingBackendMatchesCpuBitForBit) {
  BackendGuard guard;
  const int64_t N = 37, C = 48, F = 64;
  auto x = test::randn({N, C}, 1), w = test::randn({C}, 2), wf = test::randn({F, C}, 3);
  auto run = [&](const char* name) {
    kernels::set_backend(name);
    auto y = test::zeros({N, C}), rstd = test::zeros({N}), h = test::randn({N, F}, 4);
    auto g = test::zeros({N, F}), dx = test::randn({N, C}, 5), dw = test::randn({C}, 6);
    kernels::rmsnorm_forward(*x, *w, 1e-5f, *y, *rstd);
    kernels::matmul(*y, false, *wf, true, *h, true);
    kernels::gelu_forward(*h, *g);
    auto dy = test::zeros({N, C});
    kernels::matmul(*g, false, *wf, false, *dy, false);
    kernels::rmsnorm_backward(*dy, *x, *w, *rstd, *dx, *dw);
    std::vector<float> out;
    for (const Tensor* t : {&*g, &*dx, &*dw})
      out.insert(out.end(), t->f32(), t->f32() + t->numel());
    return out;
  };
  const std::vector<float> cpu = run("cpu"), check = run("check");
  ASSERT_EQ(cpu.size(), check.size());
  EXPECT_EQ(std::memcmp(cpu.data(), check.data(), cpu.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace ascent
