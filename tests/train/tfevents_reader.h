#pragma once
// A TensorBoard event-file reader for the tests, written from the formats' specifications and
// sharing no code with src/train/tensorboard/:
//   TFRecord (tensorflow/core/lib/io/record_writer.h): u64 length, u32 masked CRC-32C of the
//     length bytes, data, u32 masked CRC-32C of the data; masked = rotr(crc, 15) + 0xa282ead8.
//   CRC-32C: Castagnoli polynomial 0x1EDC6F41 (bit-reversed 0x82F63B78), init and final xor ~0,
//     computed here bit by bit.
//   Protobuf wire format: varint keys (field << 3 | wire type), wire types 0 varint, 1 fixed64,
//     2 length-delimited, 5 fixed32. event.proto: Event{wall_time = 1 double, step = 2 int64,
//     file_version = 3 string, summary = 5 Summary}; summary.proto: Summary{value = 1 repeated
//     Value}, Value{tag = 1 string, simple_value = 2 float}.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace ascent::testing {

inline uint32_t spec_crc32c(const unsigned char* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline uint32_t spec_masked_crc(const unsigned char* p, size_t n) {
  const uint32_t c = spec_crc32c(p, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

struct ProtoField {
  uint32_t number = 0;
  int wire = 0;
  uint64_t varint = 0;  // wire 0; also the raw bits of wire 1 and 5
  std::string bytes;    // wire 2
};

inline uint64_t read_le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// Every field of one serialised message, in order. Throws on malformed input.
inline std::vector<ProtoField> parse_proto(const std::string& msg) {
  const auto* p = reinterpret_cast<const unsigned char*>(msg.data());
  size_t i = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= msg.size()) throw std::runtime_error("truncated varint");
      const unsigned char b = p[i++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw std::runtime_error("varint too long");
  };
  std::vector<ProtoField> fields;
  while (i < msg.size()) {
    const uint64_t key = varint();
    ProtoField f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    if (f.wire == 0) {
      f.varint = varint();
    } else if (f.wire == 1 || f.wire == 5) {
      const int n = f.wire == 1 ? 8 : 4;
      if (i + n > msg.size()) throw std::runtime_error("truncated fixed field");
      f.varint = read_le(p + i, n);
      i += n;
    } else if (f.wire == 2) {
      const uint64_t n = varint();
      if (i + n > msg.size()) throw std::runtime_error("truncated bytes field");
      f.bytes.assign(msg, i, n);
      i += n;
    } else {
      throw std::runtime_error("unknown wire type " + std::to_string(f.wire));
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

struct SpecScalar {
  std::string tag;
  float value = 0;
};

struct SpecEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<SpecScalar> scalars;
};

inline SpecEvent decode_event(const std::string& data) {
  SpecEvent e;
  for (const ProtoField& f : parse_proto(data)) {
    if (f.number == 1 && f.wire == 1) std::memcpy(&e.wall_time, &f.varint, 8);
    if (f.number == 2 && f.wire == 0) e.step = static_cast<int64_t>(f.varint);
    if (f.number == 3 && f.wire == 2) e.file_version = f.bytes;
    if (f.number != 5 || f.wire != 2) continue;
    for (const ProtoField& v : parse_proto(f.bytes)) {
      if (v.number != 1 || v.wire != 2) continue;
      SpecScalar s;
      for (const ProtoField& x : parse_proto(v.bytes)) {
        if (x.number == 1 && x.wire == 2) s.tag = x.bytes;
        if (x.number == 2 && x.wire == 5) {
          const auto bits = static_cast<uint32_t>(x.varint);
          std::memcpy(&s.value, &bits, 4);
        }
      }
      e.scalars.push_back(s);
    }
  }
  return e;
}

// The records of an event file's bytes; throws naming the record whose length or CRC is wrong.
inline std::vector<std::string> read_tfrecords(const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::vector<std::string> records;
  size_t i = 0;
  while (i < bytes.size()) {
    const std::string where = "record " + std::to_string(records.size());
    if (i + 12 > bytes.size()) throw std::runtime_error(where + ": truncated header");
    const uint64_t n = read_le(p + i, 8);
    if (read_le(p + i + 8, 4) != spec_masked_crc(p + i, 8))
      throw std::runtime_error(where + ": length CRC mismatch");
    if (i + 12 + n + 4 > bytes.size()) throw std::runtime_error(where + ": truncated data");
    if (read_le(p + i + 12 + n, 4) != spec_masked_crc(p + i + 12, n))
      throw std::runtime_error(where + ": data CRC mismatch");
    records.emplace_back(bytes, i + 12, n);
    i += 12 + n + 4;
  }
  return records;
}

inline std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::vector<SpecEvent> read_event_file(const std::string& path) {
  std::vector<SpecEvent> events;
  for (const std::string& r : read_tfrecords(read_file_bytes(path)))
    events.push_back(decode_event(r));
  return events;
}

}  // namespace ascent::testing
