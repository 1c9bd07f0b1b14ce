#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace ascent::detail {
namespace {
AbortHook g_abort_hook = nullptr;
}

void set_abort_hook(AbortHook hook) { g_abort_hook = hook; }

CheckFailure::CheckFailure(const char* file, int line, const char* cond) {
  os_ << file << ":" << line << ": check failed: " << cond << " ";
}

CheckFailure::~CheckFailure() {
  std::fprintf(stderr, "%s\n", os_.str().c_str());
  std::fflush(stderr);
  if (g_abort_hook) g_abort_hook();
  std::abort();
}

}  // namespace ascent::detail
