// Devices on tensors, buffers and arenas, and the per-device allocator hook.
#include "core/device.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "core/arena.h"
#include "core/tensor.h"

namespace ascent {
namespace {

// Host memory that counts what goes through it (stands in for a device's allocator).
class CountingAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    ++allocations;
    return std::aligned_alloc(64, (nbytes + 63) / 64 * 64);
  }
  void deallocate(void* p, size_t) override {
    ++deallocations;
    std::free(p);
  }
  void zero(void* p, size_t nbytes) override {
    ++zeroings;
    std::memset(p, 0, nbytes);
  }
  int allocations = 0, deallocations = 0, zeroings = 0;
};

// Registers an allocator for a device for the scope of a test.
class ScopedAllocator {
 public:
  ScopedAllocator(Device d, Allocator* a) : device_(d), previous_(set_allocator(d, a)) {}
  ~ScopedAllocator() { set_allocator(device_, previous_); }

 private:
  Device device_;
  Allocator* previous_;
};

TEST(Device, TensorsDefaultToCpuAndViewsKeepTheDevice) {
  float x[6] = {};
  const Tensor cpu(x, DType::F32, {2, 3});
  EXPECT_EQ(cpu.device(), Device::CPU);
  const Tensor dev(x, DType::F32, {2, 3}, Device::CUDA);
  EXPECT_EQ(dev.device(), Device::CUDA);
  EXPECT_EQ(dev.view({3, 2}).device(), Device::CUDA);
  EXPECT_EQ(dev.rows(1, 2).device(), Device::CUDA);
  EXPECT_EQ(dev[1].device(), Device::CUDA);
  const int64_t shape[] = {6};
  EXPECT_EQ(Tensor(x, DType::F32, shape, 1, Device::CUDA).device(), Device::CUDA);
  EXPECT_STREQ(device_name(Device::CPU), "cpu");
  EXPECT_STREQ(device_name(Device::CUDA), "cuda");
}

TEST(Device, EmptyMeansNoElements) {
  float x[4] = {};
  EXPECT_TRUE(Tensor().empty());
  EXPECT_TRUE(Tensor(x, DType::F32, {0, 4}).empty());
  EXPECT_FALSE(Tensor(x, DType::F32, {1, 4}).empty());
}

TEST(Device, BuffersAllocateThroughTheDevicesAllocator) {
  CountingAllocator counting;
  {
    ScopedAllocator scope(Device::CUDA, &counting);
    {
      Buffer b(100, /*zero=*/true, Device::CUDA);
      EXPECT_EQ(b.device(), Device::CUDA);
      EXPECT_EQ(b.as(DType::F32).device(), Device::CUDA);
      EXPECT_EQ(counting.allocations, 1);
      EXPECT_EQ(counting.zeroings, 1);
      b.zero();
      b.discard(8, 16);
      EXPECT_EQ(counting.zeroings, 3);
      Buffer moved = std::move(b);
      EXPECT_EQ(moved.device(), Device::CUDA);
      EXPECT_EQ(b.data(), nullptr);
      OwnedTensor t(DType::BF16, {3, 5}, Device::CUDA);
      EXPECT_EQ(t->device(), Device::CUDA);
      EXPECT_EQ(counting.allocations, 2);
    }
    EXPECT_EQ(counting.deallocations, 2);
  }
  // CPU stays the default for every existing constructor.
  Buffer host(64);
  EXPECT_EQ(host.device(), Device::CPU);
  EXPECT_EQ(Buffer(DType::F32, 4).device(), Device::CPU);
}

TEST(Device, ReplacingTheCpuAllocatorRoutesHostBuffers) {
  CountingAllocator counting;
  {
    ScopedAllocator scope(Device::CPU, &counting);
    Buffer b(DType::F32, 10);
    EXPECT_EQ(counting.allocations, 1);
  }
  EXPECT_EQ(counting.deallocations, 1);
}

TEST(Device, ArenaBlocksLiveOnTheArenasDevice) {
  CountingAllocator counting;
  ScopedAllocator scope(Device::CUDA, &counting);
  {
    Arena arena(1 << 12, Device::CUDA);
    EXPECT_EQ(arena.device(), Device::CUDA);
    const Tensor a = arena.alloc(DType::F32, {4, 8});
    EXPECT_EQ(a.device(), Device::CUDA);
    EXPECT_EQ(counting.allocations, 1);
    const Tensor z = arena.zeros(DType::F32, {16});
    EXPECT_EQ(z.device(), Device::CUDA);
    EXPECT_EQ(counting.zeroings, 1);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(z.f32()[i], 0.f);
    arena.alloc(DType::F32, {4096});  // a second block
    EXPECT_EQ(counting.allocations, 2);
    arena.reset();  // coalesced into one
    EXPECT_EQ(counting.allocations, 3);
    EXPECT_EQ(counting.deallocations, 2);
  }
  EXPECT_EQ(counting.deallocations, 3);
  EXPECT_EQ(Arena().device(), Device::CPU);
}

TEST(DeviceDeathTest, AllocatingWithoutAnAllocatorNamesTheDevice) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Buffer(16, true, Device::CUDA), "no allocator registered for device cuda");
  EXPECT_DEATH(set_allocator(Device::CPU, nullptr), "CPU allocator cannot be removed");
}

}  // namespace
}  // namespace ascent
