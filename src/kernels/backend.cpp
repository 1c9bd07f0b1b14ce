// Backend selection: by name, once from the environment at the first kernel call, or from code.
#include "kernels/backend.h"

#include <atomic>
#include <cstdlib>

#include "kernels/check/check_backend.h"
#include "kernels/cpu/cpu_backend.h"

namespace ascent::kernels {
namespace {

std::atomic<Backend*> g_active{nullptr};

Backend& from_environment() {
  const char* name = std::getenv("ASCENT_BACKEND");
  return backend_named(name != nullptr && name[0] != '\0' ? name : "cpu");
}

}  // namespace

Backend& backend_named(const std::string& name) {
  static cpu::CpuBackend cpu_backend;
  if (name == "cpu") return cpu_backend;
  if (name == "check") {
    static check::CheckingBackend check_backend(cpu_backend);
    return check_backend;
  }
  throw error("[kernels] ASCENT_BACKEND / backend name '", name,
              "' is not a backend; use cpu or check");
}

Backend& backend() {
  Backend* b = g_active.load(std::memory_order_acquire);
  if (b != nullptr) [[likely]]
    return *b;
  Backend* chosen = &from_environment();
  Backend* expected = nullptr;
  // Two threads racing at the first call chose the same backend; keep the first.
  g_active.compare_exchange_strong(expected, chosen, std::memory_order_acq_rel);
  return *g_active.load(std::memory_order_acquire);
}

void set_backend(const std::string& name) {
  g_active.store(&backend_named(name), std::memory_order_release);
}

}  // namespace ascent::kernels
