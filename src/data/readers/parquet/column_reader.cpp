#include "data/readers/parquet/column_reader.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cmath>
#include <cstring>

#include "data/readers/parquet/parquet_encoding.h"

namespace ascent::data::readers::parquet {
namespace {

using nlohmann::json;

struct Bytes {
  const uint8_t* data;
  size_t size;
};

Bytes decompress(int32_t codec, Bytes in, size_t uncompressed, std::vector<uint8_t>& scratch) {
  if (codec == kUncompressed) return in;
  scratch.resize(uncompressed + 1);  // + 1: a valid pointer even for empty pages
  uint8_t* dst = scratch.data();
  switch (codec) {
    case kSnappy: {
      size_t n = 0;
      const auto* src = reinterpret_cast<const char*>(in.data);
      if (!snappy::GetUncompressedLength(src, in.size, &n) || n != uncompressed ||
          !snappy::RawUncompress(src, in.size, reinterpret_cast<char*>(dst)))
        throw Corrupt("a snappy page does not decompress");
      break;
    }
    case kGzip: {
      z_stream z{};
      if (inflateInit2(&z, 15 + 32) != Z_OK) throw Corrupt("zlib init failed");
      z.next_in = const_cast<Bytef*>(in.data);
      z.avail_in = static_cast<uInt>(in.size);
      z.next_out = dst;
      z.avail_out = static_cast<uInt>(uncompressed);
      const int rc = inflate(&z, Z_FINISH);
      const size_t produced = z.total_out;
      inflateEnd(&z);
      if (rc != Z_STREAM_END || produced != uncompressed)
        throw Corrupt("a gzip page does not decompress to its size");
      break;
    }
    case kZstd: {
      const size_t n = ZSTD_decompress(dst, uncompressed, in.data, in.size);
      if (ZSTD_isError(n) || n != uncompressed)
        throw Corrupt("a zstd page does not decompress to its size");
      break;
    }
    default:
      throw Corrupt(std::string("unsupported compression ") + codec_name(codec));
  }
  return Bytes{dst, uncompressed};
}

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Turns physical values into JSON according to the column's logical type.
class ValueMaker {
 public:
  explicit ValueMaker(const SchemaElement& e) : e_(e) {
    const bool is_decimal = e.converted_type == kDecimal || e.logical_type == kLogicalDecimal;
    scale_ = is_decimal && e.scale > 0 ? std::pow(10.0, e.scale) : 0.0;
    unsigned_ = e.logical_unsigned || (e.converted_type >= kUint8 && e.converted_type <= kUint64);
  }
  json from_int(int64_t v) const {
    if (scale_ > 0) return json(static_cast<double>(v) / scale_);
    if (unsigned_) {
      if (e_.type == kInt32) return json(static_cast<uint64_t>(static_cast<uint32_t>(v)));
      return json(static_cast<uint64_t>(v));
    }
    return json(v);
  }

 private:
  const SchemaElement& e_;
  double scale_ = 0.0;
  bool unsigned_ = false;
};

class PageDecoder {
 public:
  PageDecoder(const SchemaElement& e, const LeafColumn& leaf) : e_(e), leaf_(leaf), maker_(e) {
    if (e.type == kFixedLenByteArray && e.type_length <= 0)
      throw Corrupt("FIXED_LEN_BYTE_ARRAY without a length");
  }

  void dictionary_page(const PageHeader& h, Bytes page) {
    if (h.encoding != kPlain && h.encoding != kPlainDictionary)
      throw Corrupt("dictionary page encoding " + std::to_string(h.encoding));
    if (h.num_values < 0) throw Corrupt("negative dictionary size");
    dict_.clear();
    plain(page.data, page.data + page.size, static_cast<size_t>(h.num_values), dict_);
    has_dict_ = true;
  }

  // Values of a data page: `levels` definition levels of `count` rows, then the values.
  void values(int32_t encoding, const uint32_t* levels, size_t count, const uint8_t* p,
              const uint8_t* end, std::vector<json>& out) {
    size_t present = count;
    if (levels != nullptr) {
      present = 0;
      for (size_t i = 0; i < count; ++i) {
        if (levels[i] > static_cast<uint32_t>(leaf_.max_def))
          throw Corrupt("definition level out of range");
        present += levels[i] == static_cast<uint32_t>(leaf_.max_def);
      }
    }
    vals_.clear();
    decode(encoding, p, end, present, vals_);
    if (levels == nullptr) {
      for (auto& v : vals_) out.push_back(std::move(v));
      return;
    }
    size_t k = 0;
    for (size_t i = 0; i < count; ++i)
      out.push_back(levels[i] == static_cast<uint32_t>(leaf_.max_def) ? std::move(vals_[k++])
                                                                      : json());
  }

 private:
  void decode(int32_t encoding, const uint8_t* p, const uint8_t* end, size_t n,
              std::vector<json>& out) {
    switch (encoding) {
      case kPlain:
        plain(p, end, n, out);
        return;
      case kPlainDictionary:
      case kRleDictionary:
        dictionary(p, end, n, out);
        return;
      case kRle:
        rle_booleans(p, end, n, out);
        return;
      case kDeltaBinaryPacked:
        delta_ints(p, end, n, out);
        return;
      case kDeltaLengthByteArray:
        delta_length(p, end, n, out);
        return;
      case kDeltaByteArray:
        delta_byte_array(p, end, n, out);
        return;
      case kByteStreamSplit:
        byte_stream_split(p, end, n, out);
        return;
      default:
        throw Corrupt("unsupported encoding " + std::to_string(encoding));
    }
  }

  static void need(const uint8_t* p, const uint8_t* end, size_t bytes) {
    if (bytes > static_cast<size_t>(end - p)) throw Corrupt("page values end early");
  }

  // The PLAIN value at p of a fixed-width type (4 or 8 bytes, or FIXED_LEN_BYTE_ARRAY).
  json fixed(const uint8_t* p) const {
    switch (e_.type) {
      case kInt32: {
        int32_t v;
        std::memcpy(&v, p, 4);
        return maker_.from_int(v);
      }
      case kInt64: {
        int64_t v;
        std::memcpy(&v, p, 8);
        return maker_.from_int(v);
      }
      case kFloat: {
        float v;
        std::memcpy(&v, p, 4);
        return json(static_cast<double>(v));
      }
      case kDouble: {
        double v;
        std::memcpy(&v, p, 8);
        return json(v);
      }
      default:
        return json(std::string(reinterpret_cast<const char*>(p), e_.type_length));
    }
  }

  size_t fixed_width() const {
    switch (e_.type) {
      case kInt32:
      case kFloat:
        return 4;
      case kInt64:
      case kDouble:
        return 8;
      case kFixedLenByteArray:
        return static_cast<size_t>(e_.type_length);
      default:
        throw Corrupt(std::string("no fixed width for ") + type_name(e_.type));
    }
  }

  void plain(const uint8_t* p, const uint8_t* end, size_t n, std::vector<json>& out) {
    if (e_.type == kBoolean) {
      need(p, end, (n + 7) / 8);
      BitReader bits(p, end);
      for (size_t i = 0; i < n; ++i) out.emplace_back(bits.get(1) != 0);
    } else if (e_.type == kByteArray) {
      for (size_t i = 0; i < n; ++i) {
        need(p, end, 4);
        const uint32_t len = load_u32(p);
        p += 4;
        need(p, end, len);
        out.emplace_back(std::string(reinterpret_cast<const char*>(p), len));
        p += len;
      }
    } else {
      const size_t w = fixed_width();
      if (n > 0 && w > static_cast<size_t>(end - p) / n) throw Corrupt("page values end early");
      for (size_t i = 0; i < n; ++i, p += w) out.push_back(fixed(p));
    }
  }

  void dictionary(const uint8_t* p, const uint8_t* end, size_t n, std::vector<json>& out) {
    if (!has_dict_) throw Corrupt("dictionary-encoded page without a dictionary page");
    if (n == 0) return;
    need(p, end, 1);
    const int width = *p++;
    idx_.resize(n);
    decode_hybrid(p, end, width, n, idx_.data());
    for (uint32_t i : idx_) {
      if (i >= dict_.size()) throw Corrupt("dictionary index out of range");
      out.push_back(dict_[i]);
    }
  }

  void rle_booleans(const uint8_t* p, const uint8_t* end, size_t n, std::vector<json>& out) {
    if (e_.type != kBoolean) throw Corrupt("RLE encoding of a non-boolean column");
    need(p, end, 4);
    const uint32_t len = load_u32(p);
    p += 4;
    need(p, end, len);
    idx_.resize(n);
    decode_hybrid(p, p + len, 1, n, idx_.data());
    for (uint32_t v : idx_) out.emplace_back(v != 0);
  }

  void delta_ints(const uint8_t* p, const uint8_t* end, size_t n, std::vector<json>& out) {
    if (e_.type != kInt32 && e_.type != kInt64)
      throw Corrupt("DELTA_BINARY_PACKED of a non-integer column");
    ints_.resize(n);
    decode_delta_binary_packed(p, end, n, ints_.data());
    for (int64_t v : ints_)
      out.push_back(maker_.from_int(e_.type == kInt32 ? static_cast<int32_t>(v) : v));
  }

  // Lengths (DELTA_BINARY_PACKED) then the bytes; the lengths land in ints_.
  const uint8_t* delta_lengths(const uint8_t* p, const uint8_t* end, size_t n,
                               std::vector<int64_t>& lens) {
    lens.resize(n);
    p = decode_delta_binary_packed(p, end, n, lens.data());
    for (int64_t len : lens)
      if (len < 0) throw Corrupt("negative byte-array length");
    return p;
  }

  void delta_length(const uint8_t* p, const uint8_t* end, size_t n, std::vector<json>& out) {
    if (e_.type != kByteArray) throw Corrupt("DELTA_LENGTH_BYTE_ARRAY of a non-byte-array column");
    p = delta_lengths(p, end, n, ints_);
    for (int64_t len : ints_) {
      need(p, end, static_cast<size_t>(len));
      out.emplace_back(std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(len)));
      p += len;
    }
  }

  void delta_byte_array(const uint8_t* p, const uint8_t* end, size_t n, std::vector<json>& out) {
    if (e_.type != kByteArray && e_.type != kFixedLenByteArray)
      throw Corrupt("DELTA_BYTE_ARRAY of a non-byte-array column");
    p = delta_lengths(p, end, n, prefixes_);
    p = delta_lengths(p, end, n, ints_);
    std::string prev;
    for (size_t i = 0; i < n; ++i) {
      const auto prefix = static_cast<size_t>(prefixes_[i]);
      const auto len = static_cast<size_t>(ints_[i]);
      if (prefix > prev.size())
        throw Corrupt("DELTA_BYTE_ARRAY prefix longer than the previous value");
      need(p, end, len);
      std::string v = prev.substr(0, prefix);
      v.append(reinterpret_cast<const char*>(p), len);
      p += len;
      out.emplace_back(v);
      prev = std::move(v);
    }
  }

  void byte_stream_split(const uint8_t* p, const uint8_t* end, size_t n, std::vector<json>& out) {
    const size_t w = fixed_width();
    if (n > 0 && w > static_cast<size_t>(end - p) / n) throw Corrupt("page values end early");
    std::vector<uint8_t> value(w);
    for (size_t i = 0; i < n; ++i) {
      for (size_t b = 0; b < w; ++b) value[b] = p[b * n + i];
      out.push_back(fixed(value.data()));
    }
  }

  const SchemaElement& e_;
  const LeafColumn& leaf_;
  ValueMaker maker_;
  std::vector<json> dict_, vals_;
  bool has_dict_ = false;
  std::vector<uint32_t> idx_;
  std::vector<int64_t> ints_, prefixes_;
};

// Definition levels of `count` values in [p, end) (hybrid encoded, no length prefix).
void decode_levels(const uint8_t* p, const uint8_t* end, int max_def, size_t count,
                   std::vector<uint32_t>& levels) {
  levels.resize(count);
  decode_hybrid(p, end, bit_width_of(static_cast<uint32_t>(max_def)), count, levels.data());
}

}  // namespace

bool codec_supported(int32_t codec) {
  return codec == kUncompressed || codec == kSnappy || codec == kGzip || codec == kZstd;
}

void read_column_chunk(const uint8_t* data, size_t size, const SchemaElement& element,
                       const LeafColumn& leaf, const ColumnChunkMeta& meta, int64_t num_rows,
                       std::vector<nlohmann::json>& out) {
  PageDecoder decoder(element, leaf);
  std::vector<uint8_t> scratch;
  std::vector<uint32_t> levels;
  const size_t target = out.size() + static_cast<size_t>(num_rows);
  size_t pos = 0;
  while (out.size() < target) {
    if (pos >= size)
      throw Corrupt("column '" + leaf.path + "': the chunk ends after " +
                    std::to_string(out.size() + num_rows - target) + " of " +
                    std::to_string(num_rows) + " values");
    thrift::CompactReader r(data + pos, size - pos);
    const PageHeader h = parse_page_header(r);
    pos += r.position();
    if (static_cast<size_t>(h.compressed_size) > size - pos)
      throw Corrupt("column '" + leaf.path + "': a page runs past the column chunk");
    if (meta.total_uncompressed_size > 0 && h.uncompressed_size > meta.total_uncompressed_size)
      throw Corrupt("column '" + leaf.path + "': a page is larger than its column chunk");
    const Bytes page{data + pos, static_cast<size_t>(h.compressed_size)};
    pos += page.size;
    const size_t left = target - out.size();
    if (h.type == kDictionaryPage) {
      decoder.dictionary_page(h, decompress(meta.codec, page, h.uncompressed_size, scratch));
    } else if (h.type == kDataPage) {
      if (h.num_values < 0 || static_cast<size_t>(h.num_values) > left)
        throw Corrupt("column '" + leaf.path + "': a page holds more values than rows are left");
      const Bytes body = decompress(meta.codec, page, h.uncompressed_size, scratch);
      const uint8_t* p = body.data;
      const uint8_t* end = body.data + body.size;
      const size_t n = static_cast<size_t>(h.num_values);
      if (leaf.max_def > 0) {
        if (h.def_encoding != kRle)
          throw Corrupt("definition levels in encoding " + std::to_string(h.def_encoding));
        if (end - p < 4) throw Corrupt("a data page ends inside its levels");
        const uint32_t len = load_u32(p);
        p += 4;
        if (len > static_cast<size_t>(end - p))
          throw Corrupt("definition levels run past the page");
        decode_levels(p, p + len, leaf.max_def, n, levels);
        p += len;
      }
      decoder.values(h.encoding, leaf.max_def > 0 ? levels.data() : nullptr, n, p, end, out);
    } else if (h.type == kDataPageV2) {
      if (h.num_values < 0 || static_cast<size_t>(h.num_values) > left)
        throw Corrupt("column '" + leaf.path + "': a page holds more values than rows are left");
      const size_t level_bytes =
          static_cast<size_t>(h.def_length) + static_cast<size_t>(h.rep_length);
      if (h.def_length < 0 || h.rep_length < 0 || level_bytes > page.size ||
          level_bytes > static_cast<size_t>(h.uncompressed_size))
        throw Corrupt("column '" + leaf.path + "': level lengths exceed the page");
      const size_t n = static_cast<size_t>(h.num_values);
      const uint8_t* def = page.data + h.rep_length;
      if (leaf.max_def > 0) decode_levels(def, def + h.def_length, leaf.max_def, n, levels);
      const Bytes compressed{page.data + level_bytes, page.size - level_bytes};
      const size_t raw = static_cast<size_t>(h.uncompressed_size) - level_bytes;
      const Bytes body =
          h.is_compressed ? decompress(meta.codec, compressed, raw, scratch) : compressed;
      decoder.values(h.encoding, leaf.max_def > 0 ? levels.data() : nullptr, n, body.data,
                     body.data + body.size, out);
    }
    // Index pages and unknown page types carry no values.
  }
}

}  // namespace ascent::data::readers::parquet
