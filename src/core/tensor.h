#pragma once
// Tensor: a non-owning, contiguous, row-major view (pointer + dtype + up to 4 dims + the device
// the pointer belongs to). Storage is owned elsewhere: a Buffer (flat parameter / gradient buffers,
// scratch) or an Arena (per-micro-batch activations). Views are cheap to copy and never free
// anything.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace ascent {

constexpr int kMaxDims = 4;

class Tensor {
 public:
  Tensor() = default;
  Tensor(void* data, DType dtype, std::initializer_list<int64_t> shape,
         Device device = Device::CPU);
  Tensor(void* data, DType dtype, const int64_t* shape, int ndim, Device device = Device::CPU);

  bool defined() const { return data_ != nullptr; }
  bool empty() const { return data_ == nullptr || numel() == 0; }  // no elements to read
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  int ndim() const { return ndim_; }
  int64_t size(int i) const;  // negative i counts from the back
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  const int64_t* shape() const { return shape_.data(); }
  std::string shape_str() const;  // "[2, 3]"

  void* data() const { return data_; }
  float* f32() const;    // requires dtype F32
  bf16_t* bf16() const;  // requires dtype BF16
  f16_t* f16() const;    // requires dtype F16

  // Same storage, new shape with the same element count.
  Tensor view(std::initializer_list<int64_t> shape) const;
  // Rows [begin, end) along dim 0.
  Tensor rows(int64_t begin, int64_t end) const;
  // Same as rows(i, i+1) with dim 0 dropped.
  Tensor operator[](int64_t i) const;

  bool same_shape(const Tensor& o) const;

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::F32;
  Device device_ = Device::CPU;
  int ndim_ = 0;
  std::array<int64_t, kMaxDims> shape_{};
};

// Owning, 64-byte aligned storage on a device (through that device's Allocator), zero-initialised
// unless asked not to (arenas: pages are then only faulted in when first used). Move-only.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t nbytes, bool zero = true, Device device = Device::CPU);
  Buffer(DType dtype, int64_t numel, Device device = Device::CPU)
      : Buffer(static_cast<size_t>(numel) * dtype_size(dtype), true, device) {}
  ~Buffer();
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Zero-filled address space whose pages become memory only when first written (mmap); see
  // discard(). For buffers a rank only ever touches a part of at a time (ZeRO-3 parameters).
  // Host memory only (CPU).
  static Buffer lazy(size_t nbytes);

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  // The whole buffer as a 1-d tensor of dtype (nbytes must divide evenly).
  Tensor as(DType dtype) const;
  void zero();
  // Bytes [begin, end) become zero; in a lazy buffer the whole pages among them go back to the
  // operating system (and read as zero until written again).
  void discard(size_t begin, size_t end);

 private:
  void release();
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_ = Device::CPU;
  bool mapped_ = false;  // lazy(): mmap'ed
};

// Tensor owning its storage: for tests, tools and small state.
struct OwnedTensor {
  Buffer buf;
  Tensor t;
  OwnedTensor() = default;
  OwnedTensor(DType dtype, std::initializer_list<int64_t> shape, Device device = Device::CPU);
  Tensor& operator*() { return t; }
  Tensor* operator->() { return &t; }
  const Tensor& get() const { return t; }
};

// Copies src into dst converting dtype (shapes must have equal numel). Host memory (CPU) only.
void copy_convert(const Tensor& src, const Tensor& dst);

}  // namespace ascent
