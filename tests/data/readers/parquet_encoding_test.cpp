// Parquet decoders on bytes built by hand from the format spec: the RLE / bit-packed hybrid,
// DELTA_BINARY_PACKED (round trips through a small encoder written here), and whole v2 pages in
// the encodings DuckDB does not write (DELTA_BYTE_ARRAY, RLE booleans).
#include "data/readers/parquet/parquet_encoding.h"

#include <gtest/gtest.h>

#include <random>

#include "data/readers/parquet/column_reader.h"
#include "data/readers/parquet/thrift_compact.h"

namespace ascent::data::readers::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

void put_uleb(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}
uint64_t zz(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

// Packs values of `width` bits least-significant bit first.
void put_bits(Bytes& out, const std::vector<uint64_t>& values, int width) {
  uint64_t acc = 0;
  int bits = 0;
  for (uint64_t v : values) {
    for (int b = 0; b < width; ++b) {
      acc |= ((v >> b) & 1) << bits;
      if (++bits == 8) {
        out.push_back(static_cast<uint8_t>(acc));
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push_back(static_cast<uint8_t>(acc));
}

// DELTA_BINARY_PACKED with blocks of 128 values in 4 miniblocks of 32.
Bytes dbp_encode(const std::vector<int64_t>& values) {
  Bytes out;
  put_uleb(out, 128);
  put_uleb(out, 4);
  put_uleb(out, values.size());
  put_uleb(out, zz(values.empty() ? 0 : values[0]));
  for (size_t start = 1; start < values.size(); start += 128) {
    const size_t end = std::min(values.size(), start + 128);
    std::vector<uint64_t> deltas;
    for (size_t i = start; i < end; ++i)
      deltas.push_back(static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1]));
    int64_t min_delta = static_cast<int64_t>(deltas[0]);
    for (uint64_t d : deltas) min_delta = std::min(min_delta, static_cast<int64_t>(d));
    put_uleb(out, zz(min_delta));
    std::vector<int> widths(4, 0);
    std::vector<std::vector<uint64_t>> minis(4);
    for (size_t i = 0; i < deltas.size(); ++i) {
      const uint64_t v = deltas[i] - static_cast<uint64_t>(min_delta);
      minis[i / 32].push_back(v);
      int w = 0;
      while (w < 64 && (v >> w) != 0) ++w;
      widths[i / 32] = std::max(widths[i / 32], w);
    }
    for (int w : widths) out.push_back(static_cast<uint8_t>(w));
    for (int m = 0; m < 4 && !minis[m].empty(); ++m) {
      minis[m].resize(32, 0);  // the last miniblock is padded to full size
      put_bits(out, minis[m], widths[m]);
    }
  }
  return out;
}

TEST(ParquetEncoding, HybridRunsFromTheSpec) {
  // RLE run: 5 x value 3 (width 2); bit-packed run: 8 values 0..7 (width 3); RLE run 2 x 1.
  Bytes b;
  put_uleb(b, 5 << 1);
  b.push_back(3);
  put_uleb(b, (1 << 1) | 1);
  put_bits(b, {0, 1, 2, 3, 4, 5, 6, 7}, 3);
  put_uleb(b, 2 << 1);
  b.push_back(1);
  std::vector<uint32_t> out(15);
  decode_hybrid(b.data(), b.data() + b.size(), 3, 15, out.data());
  EXPECT_EQ(out, (std::vector<uint32_t>{3, 3, 3, 3, 3, 0, 1, 2, 3, 4, 5, 6, 7, 1, 1}));
  // Asking for more values than the data holds is an error, never a read past the end.
  std::vector<uint32_t> more(20);
  EXPECT_THROW(decode_hybrid(b.data(), b.data() + b.size(), 3, 20, more.data()), Corrupt);
  EXPECT_THROW(decode_hybrid(b.data(), b.data() + b.size() - 2, 3, 15, out.data()), Corrupt);
  EXPECT_THROW(decode_hybrid(b.data(), b.data() + b.size(), 33, 1, out.data()), Corrupt);
}

TEST(ParquetEncoding, DeltaBinaryPackedRoundTrips) {
  std::mt19937_64 rng(7);
  for (size_t n :
       {size_t(0), size_t(1), size_t(2), size_t(33), size_t(128), size_t(129), size_t(1000)}) {
    for (int kind = 0; kind < 3; ++kind) {
      std::vector<int64_t> v(n);
      for (size_t i = 0; i < n; ++i) {
        if (kind == 0) v[i] = static_cast<int64_t>(i) * 3 - 50;  // constant deltas: width 0
        if (kind == 1) v[i] = static_cast<int64_t>(rng() % 100000) - 50000;
        if (kind == 2) v[i] = static_cast<int64_t>(rng());  // full range: wrapping deltas
      }
      const Bytes b = dbp_encode(v);
      std::vector<int64_t> out(n);
      const uint8_t* end = decode_delta_binary_packed(b.data(), b.data() + b.size(), n, out.data());
      EXPECT_EQ(out, v) << n << " " << kind;
      EXPECT_EQ(end, b.data() + b.size());
      // The padding of the last miniblock may be missing; values may not.
      if (n >= 33 && kind != 0) {
        EXPECT_THROW(decode_delta_binary_packed(b.data(), b.data() + b.size() / 2, n, out.data()),
                     Corrupt);
      }
      if (n > 1) {
        EXPECT_THROW(decode_delta_binary_packed(b.data(), b.data() + b.size(), n - 1, out.data()),
                     Corrupt);
      }
    }
  }
}

// A compact-protocol writer just big enough for a v2 page header.
struct HeaderWriter {
  Bytes out;
  int16_t last = 0;
  void i32(int16_t id, int32_t v) {
    out.push_back(static_cast<uint8_t>(((id - last) << 4) | thrift::kI32));
    last = id;
    put_uleb(out, zz(v));
  }
  void boolean(int16_t id, bool v) {
    out.push_back(static_cast<uint8_t>(((id - last) << 4) | (v ? thrift::kTrue : thrift::kFalse)));
    last = id;
  }
  void begin_struct(int16_t id) {
    out.push_back(static_cast<uint8_t>(((id - last) << 4) | thrift::kStruct));
    last = 0;
  }
  void end_struct(int16_t id) {
    out.push_back(0);
    last = id;
  }
};

// One uncompressed v2 data page: definition levels (1 = present) then `values`.
Bytes v2_page(const std::vector<uint32_t>& defs, int nulls, int32_t encoding, const Bytes& values) {
  Bytes levels;
  put_uleb(levels, (static_cast<uint64_t>((defs.size() + 7) / 8) << 1) | 1);
  std::vector<uint64_t> d(defs.begin(), defs.end());
  put_bits(levels, d, 1);
  HeaderWriter h;
  const auto size = static_cast<int32_t>(levels.size() + values.size());
  h.i32(1, kDataPageV2);
  h.i32(2, size);
  h.i32(3, size);
  h.begin_struct(8);
  h.i32(1, static_cast<int32_t>(defs.size()));
  h.i32(2, nulls);
  h.i32(3, static_cast<int32_t>(defs.size()));
  h.i32(4, encoding);
  h.i32(5, static_cast<int32_t>(levels.size()));
  h.i32(6, 0);
  h.boolean(7, false);
  h.end_struct(8);
  h.out.push_back(0);
  Bytes page = h.out;
  page.insert(page.end(), levels.begin(), levels.end());
  page.insert(page.end(), values.begin(), values.end());
  return page;
}

std::vector<nlohmann::json> read_page(const Bytes& page, int32_t type) {
  SchemaElement e;
  e.name = "c";
  e.type = type;
  e.repetition = kOptional;
  LeafColumn leaf{"c", "c", 1, 1, 0, true};
  ColumnChunkMeta meta;
  meta.has_meta = true;
  meta.type = type;
  std::vector<nlohmann::json> out;
  read_column_chunk(page.data(), page.size(), e, leaf, meta, 6, out);
  return out;
}

TEST(ParquetEncoding, DeltaByteArrayPage) {
  // "apple", null, "applesauce", "banana", "band", "" : prefixes 0 5 0 3 0, suffixes below.
  Bytes values = dbp_encode({0, 5, 0, 3, 0});
  const Bytes lens = dbp_encode({5, 5, 6, 1, 0});
  values.insert(values.end(), lens.begin(), lens.end());
  for (char c : std::string("applesaucebananad")) values.push_back(static_cast<uint8_t>(c));
  const Bytes page = v2_page({1, 0, 1, 1, 1, 1}, 1, kDeltaByteArray, values);
  const auto out = read_page(page, kByteArray);
  EXPECT_EQ(out,
            (std::vector<nlohmann::json>{"apple", nullptr, "applesauce", "banana", "band", ""}));
  // A prefix longer than the previous value is corrupt.
  Bytes bad = dbp_encode({0, 9, 0, 3, 0});
  bad.insert(bad.end(), lens.begin(), lens.end());
  for (char c : std::string("applesaucebananad")) bad.push_back(static_cast<uint8_t>(c));
  EXPECT_THROW(read_page(v2_page({1, 0, 1, 1, 1, 1}, 1, kDeltaByteArray, bad), kByteArray),
               Corrupt);
}

TEST(ParquetEncoding, RleBooleanPage) {
  // Five present values: RLE run of 3 x true, then a bit-packed group false, true (+ padding).
  Bytes runs;
  put_uleb(runs, 3 << 1);
  runs.push_back(1);
  put_uleb(runs, (1 << 1) | 1);
  put_bits(runs, {0, 1, 0, 0, 0, 0, 0, 0}, 1);
  Bytes values = {static_cast<uint8_t>(runs.size()), 0, 0, 0};
  values.insert(values.end(), runs.begin(), runs.end());
  const auto out = read_page(v2_page({1, 1, 0, 1, 1, 1}, 1, kRle, values), kBoolean);
  EXPECT_EQ(out, (std::vector<nlohmann::json>{true, true, nullptr, true, false, true}));
}

TEST(ParquetEncoding, ThriftSkipsUnknownFieldsAndRejectsGarbage) {
  // A struct with an unknown list<struct> field 20 (long-form id), then i32 field 21.
  Bytes b = {static_cast<uint8_t>(thrift::kList)};
  put_uleb(b, zz(20));
  b.push_back(static_cast<uint8_t>((2 << 4) | thrift::kStruct));
  b.insert(b.end(), {0x15, 0x04, 0x00, 0x00});  // {1: i32 2}, {}
  b.push_back(static_cast<uint8_t>((1 << 4) | thrift::kI32));
  put_uleb(b, zz(-7));
  b.push_back(0);
  thrift::CompactReader r(b.data(), b.size());
  int32_t got = 0;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 21)
      got = r.read_i32(t);
    else
      r.skip(t);
  });
  EXPECT_EQ(got, -7);
  EXPECT_EQ(r.position(), b.size());
  // Cut anywhere, the same bytes throw Corrupt instead of reading past the end.
  for (size_t cut = 0; cut < b.size(); ++cut) {
    thrift::CompactReader c(b.data(), cut);
    EXPECT_THROW(c.read_struct([&](int16_t, uint8_t t) { c.skip(t); }), Corrupt) << cut;
  }
}

}  // namespace
}  // namespace ascent::data::readers::parquet
