#pragma once
// Parquet's integer encodings: the RLE / bit-packed hybrid (levels, dictionary indices, RLE
// booleans) and DELTA_BINARY_PACKED (integers, byte-array lengths). Every read is
// bounds-checked; bad data throws parquet::Corrupt.
#include <cstddef>
#include <cstdint>

#include "data/readers/parquet/thrift_compact.h"

namespace ascent::data::readers::parquet {

// Reads values of up to 64 bits packed least-significant bit first.
class BitReader {
 public:
  BitReader(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  uint64_t get(int width) {
    uint64_t result = 0;
    for (int got = 0; got < width;) {
      if (bits_ == 0) {
        if (p_ == end_) throw Corrupt("bit-packed data ends early");
        buf_ = *p_++;
        bits_ = 8;
      }
      const int take = width - got < bits_ ? width - got : bits_;
      result |= (buf_ & ((1u << take) - 1)) << got;
      buf_ >>= take;
      bits_ -= take;
      got += take;
    }
    return result;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t buf_ = 0;
  int bits_ = 0;
};

// ULEB128, bounds-checked; advances p.
uint64_t read_uleb128(const uint8_t*& p, const uint8_t* end);

// Decodes exactly `count` values of `bit_width` (0..32) bits of the hybrid encoding in [p, end)
// (no length prefix) into out.
void decode_hybrid(const uint8_t* p, const uint8_t* end, int bit_width, size_t count,
                   uint32_t* out);

// Decodes a DELTA_BINARY_PACKED block sequence whose header count must equal `count` into out
// (wrapping 64-bit arithmetic); returns where the encoded data ends.
const uint8_t* decode_delta_binary_packed(const uint8_t* p, const uint8_t* end, size_t count,
                                          int64_t* out);

// The number of bits needed to store values up to max_value.
int bit_width_of(uint32_t max_value);

}  // namespace ascent::data::readers::parquet
