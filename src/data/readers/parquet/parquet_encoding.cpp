#include "data/readers/parquet/parquet_encoding.h"

#include <algorithm>
#include <string>

namespace ascent::data::readers::parquet {

uint64_t read_uleb128(const uint8_t*& p, const uint8_t* end) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end) throw Corrupt("a varint runs past the data");
    const uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  throw Corrupt("a varint is longer than 10 bytes");
}

namespace {
int64_t zigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
}  // namespace

int bit_width_of(uint32_t max_value) {
  int w = 0;
  while (w < 32 && (max_value >> w) != 0) ++w;
  return w;
}

void decode_hybrid(const uint8_t* p, const uint8_t* end, int bit_width, size_t count,
                   uint32_t* out) {
  if (bit_width < 0 || bit_width > 32) throw Corrupt("RLE bit width " + std::to_string(bit_width));
  size_t n = 0;
  while (n < count) {
    const uint64_t header = read_uleb128(p, end);
    const size_t avail = static_cast<size_t>(end - p);
    if (header & 1) {  // bit-packed: (header >> 1) groups of 8 values
      const uint64_t groups = header >> 1;
      if (groups > avail + 1) throw Corrupt("a bit-packed run is longer than the data");
      const size_t take = std::min<uint64_t>(groups * 8, count - n);
      const size_t need = (take * bit_width + 7) / 8;
      if (need > avail) throw Corrupt("a bit-packed run is longer than the data");
      const size_t bytes = std::min<uint64_t>(groups * bit_width, avail);
      BitReader bits(p, p + bytes);
      for (size_t i = 0; i < take; ++i) out[n++] = static_cast<uint32_t>(bits.get(bit_width));
      p += bytes;
    } else {  // RLE: one value repeated (header >> 1) times
      const uint64_t run = header >> 1;
      const size_t value_bytes = (bit_width + 7) / 8;
      if (value_bytes > avail) throw Corrupt("an RLE run is longer than the data");
      uint32_t v = 0;
      for (size_t b = 0; b < value_bytes; ++b) v |= static_cast<uint32_t>(p[b]) << (8 * b);
      p += value_bytes;
      const size_t take = std::min<uint64_t>(run, count - n);
      std::fill(out + n, out + n + take, v);
      n += take;
    }
  }
}

const uint8_t* decode_delta_binary_packed(const uint8_t* p, const uint8_t* end, size_t count,
                                          int64_t* out) {
  const uint64_t block_size = read_uleb128(p, end);
  const uint64_t miniblocks = read_uleb128(p, end);
  const uint64_t total = read_uleb128(p, end);
  const int64_t first = zigzag(read_uleb128(p, end));
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1u << 20) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0)
    throw Corrupt("DELTA_BINARY_PACKED header: block size " + std::to_string(block_size) + ", " +
                  std::to_string(miniblocks) + " miniblocks");
  if (total != count)
    throw Corrupt("DELTA_BINARY_PACKED holds " + std::to_string(total) + " values, expected " +
                  std::to_string(count));
  if (count == 0) return p;
  const size_t per_mini = block_size / miniblocks;
  uint64_t prev = static_cast<uint64_t>(first);
  out[0] = first;
  size_t n = 1;
  while (n < count) {
    const uint64_t min_delta = static_cast<uint64_t>(zigzag(read_uleb128(p, end)));
    if (static_cast<uint64_t>(end - p) < miniblocks)
      throw Corrupt("DELTA_BINARY_PACKED ends early");
    const uint8_t* widths = p;
    p += miniblocks;
    for (size_t m = 0; m < miniblocks && n < count; ++m) {
      const int w = widths[m];
      if (w > 64) throw Corrupt("DELTA_BINARY_PACKED bit width " + std::to_string(w));
      const size_t take = std::min(per_mini, count - n);
      const size_t avail = static_cast<size_t>(end - p);
      if ((take * w + 7) / 8 > avail) throw Corrupt("DELTA_BINARY_PACKED ends early");
      const size_t bytes = std::min(per_mini * w / 8, avail);
      BitReader bits(p, p + bytes);
      for (size_t i = 0; i < take; ++i) {
        prev += min_delta + bits.get(w);
        out[n++] = static_cast<int64_t>(prev);
      }
      p += bytes;
    }
  }
  return p;
}

}  // namespace ascent::data::readers::parquet
