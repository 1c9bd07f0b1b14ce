#pragma once
// A decoder of the Thrift compact protocol, the encoding of Parquet's footer and page headers.
// Callers walk a struct field by field and skip the fields they do not know, so newer writers'
// additions pass through. Every read is bounds-checked: bad bytes throw parquet::Corrupt.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace ascent::data::readers::parquet {

// Undecodable Parquet bytes (footer, page header, page data); the reader reports it as
// Problem::kParquetCorrupt and goes on with the next row group.
class Corrupt : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace thrift {

// Compact protocol type ids (a field header's low nibble, a list header's element type).
enum Type : uint8_t {
  kStop = 0,
  kTrue = 1,  // a bool field holding true; in lists: a bool element (one byte each)
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class CompactReader {
 public:
  CompactReader(const uint8_t* data, size_t size) : p_(data), begin_(data), end_(data + size) {}

  // Calls on_field(id, type) for each field of the struct that starts here, up to its stop byte;
  // on_field must consume the field's value (one read_* call, or skip(type)).
  template <typename F>
  void read_struct(F&& on_field) {
    if (++depth_ > kMaxDepth) throw Corrupt("thrift: structs nested too deeply");
    int16_t last = 0;
    for (;;) {
      const uint8_t header = byte();
      if (header == kStop) break;
      const uint8_t type = header & 0x0f;
      const int delta = header >> 4;
      const int16_t id =
          delta != 0 ? static_cast<int16_t>(last + delta) : static_cast<int16_t>(zigzag(varint()));
      last = id;
      on_field(id, type);
    }
    --depth_;
  }

  // Calls on_element(type) for each element of the list (or set) that starts here.
  template <typename F>
  void read_list(F&& on_element) {
    uint8_t type = 0;
    const uint32_t n = list_header(type);
    for (uint32_t i = 0; i < n; ++i) on_element(type);
  }

  // An integer field or element of type kByte, kI16, kI32 or kI64.
  int64_t read_int(uint8_t type);
  int32_t read_i32(uint8_t type);
  // A bool: a field's type carries it; a list element is one byte.
  bool read_bool(uint8_t type, bool in_list = false);
  double read_double();
  std::string_view read_binary();
  // Skips one value of `type` (a field's, or a list element's when in_list).
  void skip(uint8_t type, bool in_list = false);

  size_t position() const { return static_cast<size_t>(p_ - begin_); }

 private:
  static constexpr int kMaxDepth = 64;
  uint8_t byte() {
    if (p_ == end_) throw Corrupt("thrift: data ends inside a struct");
    return *p_++;
  }
  uint64_t varint();
  static int64_t zigzag(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  uint32_t list_header(uint8_t& type);

  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  int depth_ = 0;
};

}  // namespace thrift
}  // namespace ascent::data::readers::parquet
