#include "data/readers/parquet/parquet_metadata.h"

#include <functional>

namespace ascent::data::readers::parquet {
namespace {

using thrift::CompactReader;

SchemaElement parse_schema_element(CompactReader& r) {
  SchemaElement e;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        e.type = r.read_i32(t);
        break;
      case 2:
        e.type_length = r.read_i32(t);
        break;
      case 3:
        e.repetition = r.read_i32(t);
        break;
      case 4:
        e.name = std::string(r.read_binary());
        break;
      case 5:
        e.num_children = r.read_i32(t);
        break;
      case 6:
        e.converted_type = r.read_i32(t);
        break;
      case 7:
        e.scale = r.read_i32(t);
        break;
      case 10:  // LogicalType: a union; the member's field id names the type
        r.read_struct([&](int16_t member, uint8_t mt) {
          e.logical_type = member;
          if (member == kLogicalInteger && mt == thrift::kStruct) {
            r.read_struct([&](int16_t f, uint8_t ft) {
              if (f == 2 && (ft == thrift::kTrue || ft == thrift::kFalse))
                e.logical_unsigned = !r.read_bool(ft);
              else
                r.skip(ft);
            });
          } else {
            r.skip(mt);
          }
        });
        break;
      default:
        r.skip(t);
    }
  });
  return e;
}

ColumnChunkMeta parse_column_meta(CompactReader& r) {
  ColumnChunkMeta c;
  c.has_meta = true;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        c.type = r.read_i32(t);
        break;
      case 3:
        r.read_list([&](uint8_t et) {
          if (et != thrift::kBinary)
            throw Corrupt("thrift: path_in_schema is not a list of strings");
          c.path.emplace_back(r.read_binary());
        });
        break;
      case 4:
        c.codec = r.read_i32(t);
        break;
      case 5:
        c.num_values = r.read_int(t);
        break;
      case 6:
        c.total_uncompressed_size = r.read_int(t);
        break;
      case 7:
        c.total_compressed_size = r.read_int(t);
        break;
      case 9:
        c.data_page_offset = r.read_int(t);
        break;
      case 11:
        c.dictionary_page_offset = r.read_int(t);
        break;
      default:
        r.skip(t);
    }
  });
  return c;
}

ColumnChunkMeta parse_column_chunk(CompactReader& r) {
  ColumnChunkMeta c;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 3 && t == thrift::kStruct)
      c = parse_column_meta(r);
    else
      r.skip(t);
  });
  return c;
}

RowGroupMeta parse_row_group(CompactReader& r) {
  RowGroupMeta g;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id == 1 && t == thrift::kList) {
      r.read_list([&](uint8_t et) {
        if (et != thrift::kStruct) throw Corrupt("thrift: a column chunk is not a struct");
        g.columns.push_back(parse_column_chunk(r));
      });
    } else if (id == 3) {
      g.num_rows = r.read_int(t);
    } else {
      r.skip(t);
    }
  });
  return g;
}

}  // namespace

FileMeta parse_file_meta(const uint8_t* data, size_t size) {
  CompactReader r(data, size);
  FileMeta m;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 2:
        if (t != thrift::kList) throw Corrupt("thrift: the schema is not a list");
        r.read_list([&](uint8_t et) {
          if (et != thrift::kStruct) throw Corrupt("thrift: a schema element is not a struct");
          m.schema.push_back(parse_schema_element(r));
        });
        break;
      case 3:
        m.num_rows = r.read_int(t);
        break;
      case 4:
        if (t != thrift::kList) throw Corrupt("thrift: the row groups are not a list");
        r.read_list([&](uint8_t et) {
          if (et != thrift::kStruct) throw Corrupt("thrift: a row group is not a struct");
          m.row_groups.push_back(parse_row_group(r));
        });
        break;
      case 8:
        m.encrypted = true;
        r.skip(t);
        break;
      default:
        r.skip(t);
    }
  });
  if (m.schema.empty()) throw Corrupt("the footer has no schema");
  return m;
}

PageHeader parse_page_header(CompactReader& r) {
  PageHeader h;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        h.type = r.read_i32(t);
        break;
      case 2:
        h.uncompressed_size = r.read_i32(t);
        break;
      case 3:
        h.compressed_size = r.read_i32(t);
        break;
      case 5:  // DataPageHeader
        r.read_struct([&](int16_t f, uint8_t ft) {
          switch (f) {
            case 1:
              h.num_values = r.read_i32(ft);
              break;
            case 2:
              h.encoding = r.read_i32(ft);
              break;
            case 3:
              h.def_encoding = r.read_i32(ft);
              break;
            default:
              r.skip(ft);
          }
        });
        break;
      case 7:  // DictionaryPageHeader
        r.read_struct([&](int16_t f, uint8_t ft) {
          switch (f) {
            case 1:
              h.num_values = r.read_i32(ft);
              break;
            case 2:
              h.encoding = r.read_i32(ft);
              break;
            default:
              r.skip(ft);
          }
        });
        break;
      case 8:  // DataPageHeaderV2
        r.read_struct([&](int16_t f, uint8_t ft) {
          switch (f) {
            case 1:
              h.num_values = r.read_i32(ft);
              break;
            case 2:
              h.num_nulls = r.read_i32(ft);
              break;
            case 4:
              h.encoding = r.read_i32(ft);
              break;
            case 5:
              h.def_length = r.read_i32(ft);
              break;
            case 6:
              h.rep_length = r.read_i32(ft);
              break;
            case 7:
              h.is_compressed = r.read_bool(ft);
              break;
            default:
              r.skip(ft);
          }
        });
        break;
      default:
        r.skip(t);
    }
  });
  if (h.type < 0 || h.compressed_size < 0 || h.uncompressed_size < 0)
    throw Corrupt("a page header without type or sizes");
  return h;
}

std::vector<LeafColumn> leaf_columns(const FileMeta& meta) {
  std::vector<LeafColumn> leaves;
  const int n = static_cast<int>(meta.schema.size());
  int next = 1;
  // Walks the children of a group, depth-first, as the schema list stores them.
  std::function<void(int, const std::string&, const std::string&, int, int, int)> walk =
      [&](int children, const std::string& top, const std::string& prefix, int def, int rep,
          int depth) {
        if (depth > 64) throw Corrupt("the schema is nested too deeply");
        for (int c = 0; c < children; ++c) {
          if (next >= n) throw Corrupt("the schema lists fewer elements than its groups hold");
          const int index = next++;
          const SchemaElement& e = meta.schema[index];
          const int d = def + (e.repetition != kRequired ? 1 : 0);
          const int r = rep + (e.repetition == kRepeated ? 1 : 0);
          const std::string name = depth == 0 ? e.name : top;
          const std::string path = prefix.empty() ? e.name : prefix + "." + e.name;
          if (e.num_children > 0) {
            walk(e.num_children, name, path, d, r, depth + 1);
          } else {
            if (e.type < 0) throw Corrupt("schema element '" + path + "' has no type");
            leaves.push_back(LeafColumn{name, path, index, d, r, depth == 0 && r == 0});
          }
        }
      };
  if (meta.schema[0].num_children < 0) throw Corrupt("the schema root has a negative child count");
  walk(meta.schema[0].num_children, "", "", 0, 0, 0);
  if (next != n) throw Corrupt("the schema lists more elements than its groups hold");
  return leaves;
}

const char* codec_name(int32_t codec) {
  switch (codec) {
    case kUncompressed:
      return "UNCOMPRESSED";
    case kSnappy:
      return "SNAPPY";
    case kGzip:
      return "GZIP";
    case kLzo:
      return "LZO";
    case kBrotli:
      return "BROTLI";
    case kLz4:
      return "LZ4";
    case kZstd:
      return "ZSTD";
    case kLz4Raw:
      return "LZ4_RAW";
    default:
      return "unknown";
  }
}

const char* type_name(int32_t type) {
  switch (type) {
    case kBoolean:
      return "BOOLEAN";
    case kInt32:
      return "INT32";
    case kInt64:
      return "INT64";
    case kInt96:
      return "INT96";
    case kFloat:
      return "FLOAT";
    case kDouble:
      return "DOUBLE";
    case kByteArray:
      return "BYTE_ARRAY";
    case kFixedLenByteArray:
      return "FIXED_LEN_BYTE_ARRAY";
    default:
      return "unknown";
  }
}

}  // namespace ascent::data::readers::parquet
