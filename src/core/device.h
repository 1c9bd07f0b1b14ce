#pragma once
// Where a tensor's bytes live, and how storage on each device is obtained.
//
// Tensor, Buffer and Arena carry a Device; Buffer and Arena get their memory through the
// Allocator registered for it. Core registers the CPU allocator itself (64-byte aligned host
// memory), so CPU is always available; a device backend (kernels/) registers its allocator when
// it starts. Core cannot depend on kernels, so this hook is how kernels/ reaches allocation.
#include <cstddef>
#include <cstdint>

namespace ascent {

// CUDA is reserved for the backend that fills it: until that backend registers an allocator,
// allocating on it fails with a check naming the device.
enum class Device : uint8_t { CPU, CUDA };
constexpr int kDeviceCount = 2;

const char* device_name(Device d);  // "cpu", "cuda"

class Allocator {
 public:
  virtual ~Allocator() = default;
  // nbytes rounded up to a multiple of 64 (nbytes > 0), 64-byte aligned, contents unspecified.
  virtual void* allocate(size_t nbytes) = 0;
  // Frees what allocate(nbytes) returned.
  virtual void deallocate(void* p, size_t nbytes) = 0;
  // Bytes [p, p + nbytes) become zero.
  virtual void zero(void* p, size_t nbytes) = 0;
};

// The allocator of device d (checks that one is registered).
Allocator& allocator(Device d);
// Registers (or, with nullptr, removes) the allocator of d; returns the previous one. The CPU
// allocator can be replaced (tests count allocations this way) but not removed. The allocator
// must outlive every buffer it allocated.
Allocator* set_allocator(Device d, Allocator* a);

}  // namespace ascent
