#include "core/device.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace ascent {
namespace {

class CpuAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    void* p = std::aligned_alloc(64, (nbytes + 63) / 64 * 64);
    ASCENT_CHECK(p != nullptr) << "out of memory allocating " << nbytes << " bytes";
    return p;
  }
  void deallocate(void* p, size_t) override { std::free(p); }
  void zero(void* p, size_t nbytes) override { std::memset(p, 0, nbytes); }
};

CpuAllocator& cpu_allocator() {
  static CpuAllocator a;
  return a;
}

std::array<std::atomic<Allocator*>, kDeviceCount>& registry() {
  static std::array<std::atomic<Allocator*>, kDeviceCount> r{&cpu_allocator(), nullptr};
  return r;
}

int index_of(Device d) {
  const int i = static_cast<int>(d);
  ASCENT_CHECK(i >= 0 && i < kDeviceCount) << "unknown device " << i;
  return i;
}

}  // namespace

const char* device_name(Device d) {
  switch (d) {
    case Device::CPU:
      return "cpu";
    case Device::CUDA:
      return "cuda";
  }
  return "?";
}

Allocator& allocator(Device d) {
  Allocator* a = registry()[index_of(d)].load(std::memory_order_acquire);
  ASCENT_CHECK(a != nullptr) << "no allocator registered for device " << device_name(d)
                             << " (its backend is not running)";
  return *a;
}

Allocator* set_allocator(Device d, Allocator* a) {
  ASCENT_CHECK(d != Device::CPU || a != nullptr) << "the CPU allocator cannot be removed";
  return registry()[index_of(d)].exchange(a, std::memory_order_acq_rel);
}

}  // namespace ascent
