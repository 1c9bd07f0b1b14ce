#pragma once
// Decodes the pages of one column chunk (a flat, non-repeated column) into one JSON value per
// row: dictionary pages, data pages v1 and v2, every codec but LZO / Brotli / LZ4, and the
// encodings PLAIN, dictionary, RLE booleans, DELTA_* and BYTE_STREAM_SPLIT.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/readers/parquet/parquet_metadata.h"

namespace ascent::data::readers::parquet {

// `data`/`size`: the chunk's bytes, from its first page. Appends num_rows values to `out` (null
// where a row has no value). Throws Corrupt for undecodable bytes.
void read_column_chunk(const uint8_t* data, size_t size, const SchemaElement& element,
                       const LeafColumn& leaf, const ColumnChunkMeta& meta, int64_t num_rows,
                       std::vector<nlohmann::json>& out);

// Whether the reader can decompress pages of this codec.
bool codec_supported(int32_t codec);

}  // namespace ascent::data::readers::parquet
