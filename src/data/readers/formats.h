#pragma once
// Internal to readers/: the input formats and one opener per format. Every opener takes over the
// file's bytes (or path, for Parquet) and returns the file's records in input order.
#include <memory>
#include <optional>
#include <string>

#include "data/readers/byte_source.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers {

enum class Format { kTxt, kJson, kJsonl, kCsv, kParquet };

// The format named by the extension of `path` (case-insensitive, after a .gz / .zst suffix), or
// nullopt for an unknown one.
std::optional<Format> format_of(const std::string& path);
const char* format_extension(Format f);  // ".txt", ".json", ...

// One file of a known format. Throws "[preprocess] FILE: ..." when it cannot be read at all.
std::unique_ptr<RecordReader> open_file(const std::string& path, Format format,
                                        const ReaderOptions& opts);

std::unique_ptr<RecordReader> open_txt(std::unique_ptr<ByteSource> source,
                                       const ReaderOptions& opts);
std::unique_ptr<RecordReader> open_jsonl(std::unique_ptr<ByteSource> source);
// A top-level JSON array (its elements are the records) or, when the file does not start with
// '[', JSON lines.
std::unique_ptr<RecordReader> open_json(std::unique_ptr<ByteSource> source);
std::unique_ptr<RecordReader> open_csv(std::unique_ptr<ByteSource> source,
                                       const ReaderOptions& opts);
std::unique_ptr<RecordReader> open_parquet(const std::string& path, const ReaderOptions& opts);
// The files of the majority format in `dir`, in name order (see open_input).
std::unique_ptr<RecordReader> open_directory(const std::string& dir, const ReaderOptions& opts);

}  // namespace ascent::data::readers
