#include "data/readers/parquet/thrift_compact.h"

#include <cstring>
#include <string>

namespace ascent::data::readers::parquet::thrift {

uint64_t CompactReader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const uint8_t b = byte();
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  throw Corrupt("thrift: varint longer than 10 bytes");
}

int64_t CompactReader::read_int(uint8_t type) {
  switch (type) {
    case kByte:
      return static_cast<int8_t>(byte());
    case kI16:
    case kI32:
    case kI64:
      return zigzag(varint());
    default:
      throw Corrupt("thrift: expected an integer, got type " + std::to_string(type));
  }
}

int32_t CompactReader::read_i32(uint8_t type) {
  const int64_t v = read_int(type);
  if (v < INT32_MIN || v > INT32_MAX) throw Corrupt("thrift: i32 out of range");
  return static_cast<int32_t>(v);
}

bool CompactReader::read_bool(uint8_t type, bool in_list) {
  if (in_list) return byte() == kTrue;
  if (type != kTrue && type != kFalse)
    throw Corrupt("thrift: expected a bool, got type " + std::to_string(type));
  return type == kTrue;
}

double CompactReader::read_double() {
  if (end_ - p_ < 8) throw Corrupt("thrift: data ends inside a double");
  double d;
  std::memcpy(&d, p_, 8);
  p_ += 8;
  return d;
}

std::string_view CompactReader::read_binary() {
  const uint64_t n = varint();
  if (n > static_cast<uint64_t>(end_ - p_))
    throw Corrupt("thrift: a binary field runs past the data");
  const std::string_view s(reinterpret_cast<const char*>(p_), n);
  p_ += n;
  return s;
}

uint32_t CompactReader::list_header(uint8_t& type) {
  const uint8_t h = byte();
  type = h & 0x0f;
  uint64_t n = h >> 4;
  if (n == 15) n = varint();
  // Every element takes at least one byte (bool, byte, varint, struct stop), except none.
  if (n > static_cast<uint64_t>(end_ - p_)) throw Corrupt("thrift: a list is longer than the data");
  return static_cast<uint32_t>(n);
}

void CompactReader::skip(uint8_t type, bool in_list) {
  switch (type) {
    case kTrue:
    case kFalse:
      if (in_list) byte();
      return;
    case kByte:
      byte();
      return;
    case kI16:
    case kI32:
    case kI64:
      varint();
      return;
    case kDouble:
      read_double();
      return;
    case kBinary:
      read_binary();
      return;
    case kList:
    case kSet: {
      if (++depth_ > kMaxDepth) throw Corrupt("thrift: lists nested too deeply");
      read_list([&](uint8_t t) { skip(t, true); });
      --depth_;
      return;
    }
    case kMap: {
      if (++depth_ > kMaxDepth) throw Corrupt("thrift: maps nested too deeply");
      const uint64_t n = varint();
      if (n > static_cast<uint64_t>(end_ - p_))
        throw Corrupt("thrift: a map is longer than the data");
      if (n > 0) {
        const uint8_t kv = byte();
        for (uint64_t i = 0; i < n; ++i) {
          skip(kv >> 4, true);
          skip(kv & 0x0f, true);
        }
      }
      --depth_;
      return;
    }
    case kStruct:
      read_struct([&](int16_t, uint8_t t) { skip(t); });
      return;
    default:
      throw Corrupt("thrift: unknown type " + std::to_string(type));
  }
}

}  // namespace ascent::data::readers::parquet::thrift
