// open_input: a file or a directory, its format from the extension.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "data/readers/formats.h"

namespace ascent::data::readers {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool strip_suffix(std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size() || s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  s.resize(s.size() - suffix.size());
  return true;
}

}  // namespace

std::optional<Format> format_of(const std::string& path) {
  std::string name = lower(std::filesystem::path(path).filename().string());
  if (!strip_suffix(name, ".gz")) strip_suffix(name, ".zst");
  for (Format f : {Format::kTxt, Format::kJson, Format::kJsonl, Format::kCsv, Format::kParquet})
    if (strip_suffix(name, format_extension(f)) && !name.empty()) return f;
  return std::nullopt;
}

const char* format_extension(Format f) {
  switch (f) {
    case Format::kTxt:
      return ".txt";
    case Format::kJson:
      return ".json";
    case Format::kJsonl:
      return ".jsonl";
    case Format::kCsv:
      return ".csv";
    case Format::kParquet:
      return ".parquet";
  }
  return "";
}

std::unique_ptr<RecordReader> open_file(const std::string& path, Format format,
                                        const ReaderOptions& opts) {
  if (format == Format::kParquet) {
    std::string name = lower(path);
    if (strip_suffix(name, ".gz") || strip_suffix(name, ".zst"))
      throw error("[preprocess] ", path,
                  ": compressed Parquet files are not supported (Parquet compresses its pages; "
                  "decompress the file first)");
    return open_parquet(path, opts);
  }
  std::unique_ptr<ByteSource> source = open_byte_source(path);
  switch (format) {
    case Format::kTxt:
      return open_txt(std::move(source), opts);
    case Format::kJson:
      return open_json(std::move(source));
    case Format::kJsonl:
      return open_jsonl(std::move(source));
    case Format::kCsv:
      return open_csv(std::move(source), opts);
    case Format::kParquet:
      break;
  }
  return nullptr;
}

std::unique_ptr<RecordReader> open_input(const std::string& path, const ReaderOptions& opts) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw error("[preprocess] --input ", path, ": no such file or directory");
  if (std::filesystem::is_directory(status)) return open_directory(path, opts);
  const std::optional<Format> format = format_of(path);
  if (!format)
    throw error("[preprocess] --input ", path,
                ": unknown format (expected .txt, .json, .jsonl, .csv or .parquet, optionally "
                "followed by .gz or .zst)");
  return open_file(path, *format, opts);
}

}  // namespace ascent::data::readers
