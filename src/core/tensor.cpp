#include "core/tensor.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

namespace ascent {

Tensor::Tensor(void* data, DType dtype, std::initializer_list<int64_t> shape, Device device)
    : data_(data), dtype_(dtype), device_(device), ndim_(static_cast<int>(shape.size())) {
  ASCENT_CHECK(shape.size() <= kMaxDims) << "too many dims " << shape.size();
  int i = 0;
  for (int64_t s : shape) {
    ASCENT_CHECK(s >= 0) << "negative dim " << s;
    shape_[i++] = s;
  }
}

Tensor::Tensor(void* data, DType dtype, const int64_t* shape, int ndim, Device device)
    : data_(data), dtype_(dtype), device_(device), ndim_(ndim) {
  ASCENT_CHECK(ndim >= 0 && ndim <= kMaxDims) << "bad ndim " << ndim;
  for (int i = 0; i < ndim; ++i) shape_[i] = shape[i];
}

int64_t Tensor::size(int i) const {
  if (i < 0) i += ndim_;
  ASCENT_CHECK(i >= 0 && i < ndim_) << "dim " << i << " of " << shape_str();
  return shape_[i];
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= shape_[i];
  return n;
}

std::string Tensor::shape_str() const {
  std::ostringstream os;
  os << "[";
  for (int i = 0; i < ndim_; ++i) os << (i ? ", " : "") << shape_[i];
  os << "]";
  return os.str();
}

float* Tensor::f32() const {
  ASCENT_CHECK(dtype_ == DType::F32) << "tensor is " << dtype_name(dtype_) << ", expected f32";
  return static_cast<float*>(data_);
}
bf16_t* Tensor::bf16() const {
  ASCENT_CHECK(dtype_ == DType::BF16) << "tensor is " << dtype_name(dtype_) << ", expected bf16";
  return static_cast<bf16_t*>(data_);
}
f16_t* Tensor::f16() const {
  ASCENT_CHECK(dtype_ == DType::F16) << "tensor is " << dtype_name(dtype_) << ", expected f16";
  return static_cast<f16_t*>(data_);
}

Tensor Tensor::view(std::initializer_list<int64_t> shape) const {
  Tensor t(data_, dtype_, shape, device_);
  ASCENT_CHECK(t.numel() == numel()) << "view " << t.shape_str() << " of " << shape_str();
  return t;
}

Tensor Tensor::rows(int64_t begin, int64_t end) const {
  ASCENT_CHECK(ndim_ >= 1 && begin >= 0 && begin <= end && end <= shape_[0])
      << "rows [" << begin << ", " << end << ") of " << shape_str();
  int64_t row = numel() / (shape_[0] ? shape_[0] : 1);
  Tensor t = *this;
  t.data_ = static_cast<char*>(data_) + static_cast<size_t>(begin * row) * dtype_size(dtype_);
  t.shape_[0] = end - begin;
  return t;
}

Tensor Tensor::operator[](int64_t i) const {
  Tensor r = rows(i, i + 1);
  return Tensor(r.data_, dtype_, shape_.data() + 1, ndim_ - 1, device_);
}

bool Tensor::same_shape(const Tensor& o) const {
  if (ndim_ != o.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (shape_[i] != o.shape_[i]) return false;
  return true;
}

Buffer::Buffer(size_t nbytes, bool zero, Device device) : nbytes_(nbytes), device_(device) {
  if (nbytes == 0) return;
  Allocator& a = allocator(device);
  data_ = a.allocate(nbytes);
  if (zero) a.zero(data_, (nbytes + 63) / 64 * 64);
}

Buffer Buffer::lazy(size_t nbytes) {
  Buffer b;
  if (nbytes == 0) return b;
  void* p = mmap(nullptr, nbytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASCENT_CHECK(p != MAP_FAILED) << "out of address space reserving " << nbytes << " bytes";
  b.data_ = p;
  b.nbytes_ = nbytes;
  b.mapped_ = true;
  return b;
}

void Buffer::release() {
  if (mapped_) {
    munmap(data_, nbytes_);
  } else if (data_ != nullptr) {
    allocator(device_).deallocate(data_, nbytes_);
  }
  data_ = nullptr;
  nbytes_ = 0;
  device_ = Device::CPU;
  mapped_ = false;
}

Buffer::~Buffer() { release(); }

Buffer::Buffer(Buffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      nbytes_(std::exchange(o.nbytes_, 0)),
      device_(std::exchange(o.device_, Device::CPU)),
      mapped_(std::exchange(o.mapped_, false)) {}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    nbytes_ = std::exchange(o.nbytes_, 0);
    device_ = std::exchange(o.device_, Device::CPU);
    mapped_ = std::exchange(o.mapped_, false);
  }
  return *this;
}

void Buffer::discard(size_t begin, size_t end) {
  ASCENT_CHECK(begin <= end && end <= nbytes_)
      << "discard [" << begin << ", " << end << ") of " << nbytes_ << " bytes";
  char* base = static_cast<char*>(data_);
  if (!mapped_) {
    if (end > begin) allocator(device_).zero(base + begin, end - begin);
    return;
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (first >= last) {
    std::memset(base + begin, 0, end - begin);
    return;
  }
  std::memset(base + begin, 0, first - begin);
  std::memset(base + last, 0, end - last);
  madvise(base + first, last - first, MADV_DONTNEED);
}

Tensor Buffer::as(DType dtype) const {
  size_t es = dtype_size(dtype);
  ASCENT_CHECK(nbytes_ % es == 0) << nbytes_ << " bytes is not a whole number of "
                                  << dtype_name(dtype);
  return Tensor(data_, dtype, {static_cast<int64_t>(nbytes_ / es)}, device_);
}

void Buffer::zero() {
  if (data_) allocator(device_).zero(data_, nbytes_);
}

OwnedTensor::OwnedTensor(DType dtype, std::initializer_list<int64_t> shape, Device device) {
  Tensor probe(nullptr, dtype, shape);
  buf = Buffer(dtype, probe.numel(), device);
  t = Tensor(buf.data(), dtype, shape, device);
}

void copy_convert(const Tensor& src, const Tensor& dst) {
  ASCENT_CHECK(src.numel() == dst.numel()) << src.shape_str() << " -> " << dst.shape_str();
  ASCENT_CHECK(src.device() == Device::CPU && dst.device() == Device::CPU)
      << "copy_convert: host tensors only, got " << device_name(src.device()) << " -> "
      << device_name(dst.device());
  size_t n = static_cast<size_t>(src.numel());
  if (src.dtype() == dst.dtype()) {
    std::memcpy(dst.data(), src.data(), src.nbytes());
    return;
  }
  if (src.dtype() == DType::F32 && dst.dtype() == DType::BF16)
    return convert_f32_to_bf16(src.f32(), dst.bf16(), n);
  if (src.dtype() == DType::BF16 && dst.dtype() == DType::F32)
    return convert_bf16_to_f32(src.bf16(), dst.f32(), n);
  if (src.dtype() == DType::F32 && dst.dtype() == DType::F16)
    return convert_f32_to_f16(src.f32(), dst.f16(), n);
  if (src.dtype() == DType::F16 && dst.dtype() == DType::F32)
    return convert_f16_to_f32(src.f16(), dst.f32(), n);
  // bf16 <-> f16 through f32 (both directions exact into f32; rounding once on the way out).
  Buffer tmp(DType::F32, src.numel());
  Tensor mid = tmp.as(DType::F32);
  copy_convert(src, mid);
  copy_convert(mid, dst);
}

}  // namespace ascent
