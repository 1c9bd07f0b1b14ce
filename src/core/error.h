#pragma once
// Errors and always-on invariant checks.
//
// User errors (bad flags, files, formats) throw ascent::Error whose message starts with the
// subsystem in brackets and names the file or field: "[safetensors] x.safetensors: ...".
// Invariants use ASCENT_CHECK(cond) << "context"; a failed check prints file:line and the
// message, then aborts the process (later: all MPI ranks), so nothing hangs.
#include <sstream>
#include <stdexcept>
#include <string>

namespace ascent {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Builds an Error message with stream syntax: throw ascent::error("[x] ", file, ": bad");
template <typename... Args>
Error error(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return Error(os.str());
}

namespace detail {

// Collects the streamed message of a failed check and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* cond);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  std::ostringstream os_;
};

// Lets `ASCENT_CHECK(c) << ...` be an expression of type void in both branches.
struct Voidify {
  void operator&(const CheckFailure&) {}
};

// Hook called before abort (the parallel layer installs MPI_Abort here).
using AbortHook = void (*)();
void set_abort_hook(AbortHook hook);

}  // namespace detail
}  // namespace ascent

#define ASCENT_CHECK(cond)     \
  (cond) ? (void)0             \
         : ::ascent::detail::Voidify() & ::ascent::detail::CheckFailure(__FILE__, __LINE__, #cond)
