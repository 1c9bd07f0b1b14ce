#include "kernels/check/call_check.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

namespace ascent::kernels::check {
namespace {

// Signalling NaNs: arithmetic only ever produces quiet NaNs (and conversions keep NaNs quiet), so
// a kernel's result can never carry these bits; only an element it did not write can.
constexpr uint32_t kPoisonF32 = 0x7f8dead1u;
constexpr uint16_t kPoisonBF16 = 0x7f81u;
constexpr uint16_t kPoisonF16 = 0x7c01u;

uint64_t checksum(const void* p, size_t n) {
  const unsigned char* b = static_cast<const unsigned char*>(p);
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, b + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

void poison(const Tensor& t) {
  const int64_t n = t.numel();
  if (t.dtype() == DType::F32) {
    uint32_t* p = static_cast<uint32_t*>(t.data());
    std::fill(p, p + n, kPoisonF32);
  } else {
    uint16_t* p = static_cast<uint16_t*>(t.data());
    std::fill(p, p + n, t.dtype() == DType::BF16 ? kPoisonBF16 : kPoisonF16);
  }
}

// How many elements still hold the poison, and the first of them (-1: none).
std::pair<int64_t, int64_t> count_poison(const Tensor& t) {
  int64_t count = 0, first = -1;
  const int64_t n = t.numel();
  auto scan = [&](auto* p, auto bits) {
    for (int64_t i = 0; i < n; ++i) {
      if (p[i] != bits) continue;
      if (first < 0) first = i;
      ++count;
    }
  };
  if (t.dtype() == DType::F32) {
    scan(static_cast<const uint32_t*>(t.data()), kPoisonF32);
  } else if (t.dtype() == DType::BF16) {
    scan(static_cast<const uint16_t*>(t.data()), kPoisonBF16);
  } else {
    scan(static_cast<const uint16_t*>(t.data()), kPoisonF16);
  }
  return {count, first};
}

}  // namespace

const Tensor& Swap::operator()(const Tensor& t) const {
  for (const auto& [real, stand_in] : map_)
    if (real == t.data()) return stand_in;
  return t;
}

CallCheck::CallCheck(const char* kernel, Device backend_device)
    : kernel_(kernel), device_(backend_device) {
  require(device_ == Device::CPU, "-",
          "the checking backend reads tensors on the host; it can only check a CPU backend");
}

void CallCheck::fail(const char* arg, const std::string& what) const {
  ASCENT_CHECK(false) << "[check] " << kernel_ << ": argument " << arg << ": " << what;
  __builtin_unreachable();
}

void CallCheck::require_f32(const char* arg, const Tensor& t) const {
  require(t.defined(), arg, "undefined tensor");
  require(t.dtype() == DType::F32, arg,
          std::string("dtype ") + dtype_name(t.dtype()) + ", contract wants f32");
}

void CallCheck::require_numel(const char* arg, const Tensor& t, int64_t n) const {
  if (t.numel() == n) return;
  std::ostringstream os;
  os << "shape " << t.shape_str() << " has " << t.numel() << " elements, contract wants " << n;
  fail(arg, os.str());
}

void CallCheck::add_arg(const char* name, Role role, const Tensor& t) {
  if (!t.defined() || t.nbytes() == 0) return;
  Arg a;
  a.name = name;
  a.role = role;
  a.t = t;
  a.nbytes = t.nbytes();
  args_.push_back(std::move(a));
}

void CallCheck::input(const char* arg, const Tensor& t) { add_arg(arg, Role::kInput, t); }
void CallCheck::output(const char* arg, const Tensor& t) { add_arg(arg, Role::kOutput, t); }
void CallCheck::accumulate(const char* arg, const Tensor& t) {
  require(!t.defined() || t.dtype() == DType::F32, arg, "accumulating outputs are f32");
  add_arg(arg, Role::kAccumulate, t);
}
void CallCheck::update(const char* arg, const Tensor& t) { add_arg(arg, Role::kUpdate, t); }

void CallCheck::input_host(const char* arg, const void* p, size_t nbytes) {
  if (nbytes == 0) return;
  require(p != nullptr, arg, "null pointer for " + std::to_string(nbytes) + " bytes");
  Arg a;
  a.name = arg;
  a.role = Role::kInput;
  a.host = p;
  a.nbytes = nbytes;
  args_.push_back(std::move(a));
}

void CallCheck::may_alias(const char* out, const char* in) { aliases_.emplace_back(out, in); }

const char* CallCheck::begin(const Arg& a) const {
  return static_cast<const char*>(a.host ? a.host : a.t.data());
}

bool CallCheck::alias_allowed(const Arg& w, const Arg& other) const {
  for (const auto& [out, in] : aliases_)
    if (out == w.name && in == other.name) return true;
  return false;
}

void CallCheck::check_devices() const {
  for (const Arg& a : args_) {
    if (a.host != nullptr || a.t.device() == device_) continue;
    fail(a.name, std::string("on device ") + device_name(a.t.device()) + ", the backend runs on " +
                     device_name(device_));
  }
}

void CallCheck::check_overlaps() {
  for (Arg& w : args_) {
    if (w.role == Role::kInput) continue;
    for (Arg& o : args_) {
      if (&o == &w) continue;
      const char *wb = begin(w), *ob = begin(o);
      if (wb >= ob + o.nbytes || ob >= wb + w.nbytes) continue;
      if (alias_allowed(w, o) && wb == ob && w.nbytes == o.nbytes) {
        o.aliased = true;
        continue;
      }
      if (o.role != Role::kInput && &o < &w) continue;  // reported once, from the first one
      fail(w.name, std::string("written, but overlaps argument ") + o.name +
                       (alias_allowed(w, o) ? " (may alias only as exactly the same view)"
                                            : " (the contract allows no aliasing here)"));
    }
  }
}

// The accumulation rerun: writable arguments replaced by stand-ins (accumulators zeroed, others
// copied), inputs as they are (still untouched), so each accumulator's stand-in ends up holding
// the call's contribution alone.
void CallCheck::run_on_stand_ins(const std::function<void(const Swap&)>& kernel) {
  Swap swap;
  std::vector<Buffer> stand_ins;
  for (Arg& a : args_) {
    if (a.role == Role::kInput) continue;
    Buffer b(a.nbytes, /*zero=*/true, device_);
    if (a.role == Role::kAccumulate) {
      a.before.assign(begin(a), begin(a) + a.nbytes);
    } else {
      std::memcpy(b.data(), begin(a), a.nbytes);
    }
    swap.add(a.t, Tensor(b.data(), a.t.dtype(), a.t.shape(), a.t.ndim(), device_));
    stand_ins.push_back(std::move(b));
  }
  kernel(swap);
  size_t k = 0;
  for (Arg& a : args_) {
    if (a.role == Role::kInput) continue;
    if (a.role == Role::kAccumulate) a.delta = std::move(stand_ins[k]);
    ++k;
  }
}

void CallCheck::run(const std::function<void(const Swap&)>& kernel) {
  check_devices();
  check_overlaps();
  bool accumulates = false;
  for (Arg& a : args_) {
    if (a.role == Role::kInput && !a.aliased) a.checksum = checksum(begin(a), a.nbytes);
    accumulates |= a.role == Role::kAccumulate;
  }
  if (accumulates) run_on_stand_ins(kernel);
  for (const Arg& a : args_)
    if (a.role == Role::kOutput && !a.aliased) {
      bool aliases_input = false;
      for (const Arg& o : args_) aliases_input |= o.aliased && begin(o) == begin(a);
      if (!aliases_input) poison(a.t);
    }
  kernel(Swap());
  verify_after();
}

void CallCheck::verify_after() {
  for (const Arg& a : args_) {
    if (a.role == Role::kInput && !a.aliased && checksum(begin(a), a.nbytes) != a.checksum)
      fail(a.name, "read-only input was modified by the call");
    if (a.role == Role::kOutput) {
      const auto [count, first] = count_poison(a.t);
      if (count > 0) {
        std::ostringstream os;
        os << "(=) output " << a.t.shape_str() << ": " << count << " of " << a.t.numel()
           << " elements not written (first at flat index " << first << ")";
        fail(a.name, os.str());
      }
    }
    if (a.role == Role::kAccumulate) verify_accumulated(a);
  }
}

// after == before + contribution, within the rounding of adding in another order: 1e-3 relative
// to the terms, plus 1e-4 of the largest contribution (cancellation inside a dot product).
void CallCheck::verify_accumulated(const Arg& a) const {
  const int64_t n = a.t.numel();
  const float* before = reinterpret_cast<const float*>(a.before.data());
  const float* delta = static_cast<const float*>(a.delta.data());
  const float* after = a.t.f32();
  double scale = 0.0;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(delta[i])) scale = std::max(scale, std::abs(static_cast<double>(delta[i])));
  for (int64_t i = 0; i < n; ++i) {
    const double b = before[i], d = delta[i], expected = b + d;
    if (!std::isfinite(b) || !std::isfinite(d) || !std::isfinite(static_cast<float>(expected)))
      continue;
    const double err = std::abs(static_cast<double>(after[i]) - expected);
    if (err <= 1e-3 * (std::abs(b) + std::abs(d)) + 1e-4 * scale) continue;
    std::ostringstream os;
    os << "(+=) output " << a.t.shape_str() << " did not accumulate: element " << i << " is "
       << after[i] << ", want its old value " << b << " plus the call's contribution " << d
       << " (overwritten, or a term dropped)";
    fail(a.name, os.str());
  }
}

}  // namespace ascent::kernels::check
