#pragma once
// The parts of Parquet's metadata (parquet.thrift) the reader needs: the footer's FileMetaData
// (schema, row groups, column chunks) and page headers. Unknown fields are skipped.
#include <cstdint>
#include <string>
#include <vector>

#include "data/readers/parquet/thrift_compact.h"

namespace ascent::data::readers::parquet {

enum PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};
enum Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7
};
enum Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};
enum PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };
// ConvertedType values the reader maps to JSON differently.
enum ConvertedType : int32_t {
  kUtf8 = 0,
  kDecimal = 5,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14
};
// LogicalType union members (field ids).
enum LogicalTypeId : int32_t { kLogicalString = 1, kLogicalDecimal = 5, kLogicalInteger = 10 };

struct SchemaElement {
  std::string name;
  int32_t type = -1;  // PhysicalType; -1 for groups
  int32_t type_length = 0;
  int32_t repetition = kRequired;
  int32_t num_children = 0;
  int32_t converted_type = -1;
  int32_t logical_type = -1;  // LogicalTypeId, -1 when absent
  int32_t scale = 0;
  bool logical_unsigned = false;  // LogicalType INTEGER with is_signed = false
};

struct ColumnChunkMeta {
  bool has_meta = false;
  int32_t type = -1;
  int32_t codec = kUncompressed;
  std::vector<std::string> path;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = -1;
  int64_t dictionary_page_offset = -1;
};

struct RowGroupMeta {
  int64_t num_rows = 0;
  std::vector<ColumnChunkMeta> columns;
};

struct FileMeta {
  std::vector<SchemaElement> schema;  // depth-first, the root first
  int64_t num_rows = 0;
  std::vector<RowGroupMeta> row_groups;
  bool encrypted = false;
};

// Throws Corrupt.
FileMeta parse_file_meta(const uint8_t* data, size_t size);

struct PageHeader {
  int32_t type = -1;
  int32_t uncompressed_size = -1;
  int32_t compressed_size = -1;
  int32_t num_values = -1;  // data pages (v1 and v2) and dictionary pages
  int32_t encoding = -1;
  int32_t def_encoding = kRle;  // v1
  int32_t num_nulls = 0;        // v2
  int32_t def_length = 0;       // v2: bytes of definition / repetition levels, never compressed
  int32_t rep_length = 0;
  bool is_compressed = true;  // v2
};

// Reads the header at the reader's position; throws Corrupt.
PageHeader parse_page_header(thrift::CompactReader& r);

// A leaf (column) of the schema.
struct LeafColumn {
  std::string name;  // the top-level field it belongs to
  std::string path;  // dotted path, for messages
  int schema_index = 0;
  int max_def = 0, max_rep = 0;
  bool flat = true;  // a direct, non-repeated child of the root
};

// The leaves in column-chunk order; throws Corrupt for a malformed tree.
std::vector<LeafColumn> leaf_columns(const FileMeta& meta);

const char* codec_name(int32_t codec);
const char* type_name(int32_t type);

}  // namespace ascent::data::readers::parquet
