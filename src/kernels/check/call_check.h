#pragma once
// CallCheck: validates one kernel call against its contract (kernels.h) around running it.
//
// A checker declares each argument with the role kernels.h gives it, then run()s the kernel:
//   input       read only: checksummed before, must be unchanged after
//   output      (=): poisoned with a signalling-NaN pattern no arithmetic produces; none may
//               remain after (every element written)
//   accumulate  (+=): the kernel also runs once on zeroed stand-ins for the writable arguments
//               (before the real call); after the real call each element must equal its old value
//               plus that contribution (within rounding): an overwrite or a dropped term fails
//   update      read and rewritten in place (optimizer state, in-place rotations)
// run() also checks that every tensor lives on the backend's device and that writable arguments
// overlap nothing except what may_alias() allows (and then exactly the same view). A violation
// aborts (ASCENT_CHECK) with "[check] <kernel>: argument <name>: <what went wrong>".
//
// The data checks read host memory, so the checked backend must run on the CPU.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ascent::kernels::check {

// Hands the kernel its writable arguments: the real tensors in the real call, zeroed (or copied)
// stand-ins in the accumulation rerun. Only writable arguments go through it.
class Swap {
 public:
  const Tensor& operator()(const Tensor& t) const;
  void add(const Tensor& real, const Tensor& stand_in) { map_.emplace_back(real.data(), stand_in); }

 private:
  std::vector<std::pair<const void*, Tensor>> map_;
};

class CallCheck {
 public:
  CallCheck(const char* kernel, Device backend_device);

  // Argument contracts (shapes, dtypes, values): fail naming the argument unless ok.
  void require(bool ok, const char* arg, const std::string& what) const {
    if (!ok) fail(arg, what);
  }
  void require_f32(const char* arg, const Tensor& t) const;  // defined and f32
  void require_numel(const char* arg, const Tensor& t, int64_t n) const;
  [[noreturn]] void fail(const char* arg, const std::string& what) const;

  // Roles (undefined or empty tensors are skipped).
  void input(const char* arg, const Tensor& t);
  void input_host(const char* arg, const void* p, size_t nbytes);  // index arrays, ALiBi slopes
  void output(const char* arg, const Tensor& t);
  void accumulate(const char* arg, const Tensor& t);
  void update(const char* arg, const Tensor& t);
  // The writable argument `out` may be exactly the same view as `in`.
  void may_alias(const char* out, const char* in);

  void run(const std::function<void(const Swap&)>& kernel);

 private:
  enum class Role { kInput, kOutput, kAccumulate, kUpdate };
  struct Arg {
    const char* name;
    Role role;
    Tensor t;                    // undefined for input_host
    const void* host = nullptr;  // input_host: the array
    size_t nbytes = 0;
    bool aliased = false;  // an allowed alias of a writable argument (no checksum / poison)
    uint64_t checksum = 0;
    std::vector<char> before;  // accumulate: content before the call
    Buffer delta;              // accumulate: the contribution from the rerun
  };
  const char* begin(const Arg& a) const;
  bool alias_allowed(const Arg& w, const Arg& other) const;
  void add_arg(const char* name, Role role, const Tensor& t);
  void check_devices() const;
  void check_overlaps();
  void run_on_stand_ins(const std::function<void(const Swap&)>& kernel);
  void verify_after();
  void verify_accumulated(const Arg& a) const;

  const char* kernel_;
  Device device_;
  std::vector<Arg> args_;
  std::vector<std::pair<std::string, std::string>> aliases_;
};

}  // namespace ascent::kernels::check
