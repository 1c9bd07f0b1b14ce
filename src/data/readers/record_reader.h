#pragma once
// Input readers of `ascent preprocess`: every supported input (.txt, .json, .jsonl, .csv,
// .parquet, each optionally .gz / .zst compressed; a file or a directory) as one stream of
// records, read in bounded batches so memory does not grow with the input.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ascent::data::readers {

// Why a piece of input was rejected. Preprocess counts problems per reason and reports them with
// their location at the end (or stops at the first with --strict).
enum class Problem {
  kInvalidJson,     // a JSON line / array element that does not parse
  kNotAnObject,     // valid JSON that is not an object
  kMissingKey,      // a field the handler needs is absent (or null)
  kNotAString,      // a field the handler needs has the wrong type
  kEmptyText,       // every field to tokenize is empty
  kInvalidUtf8,     // text that is not valid UTF-8
  kCsvQuoting,      // broken RFC 4180 quoting (unterminated quote, stray quote in a field)
  kCsvFieldCount,   // a CSV row with more or fewer fields than the header
  kParquetCorrupt,  // a Parquet row group / page that cannot be decoded (the rest is read)
  kTruncated,       // a file that ends early (truncated .gz / .zst / .parquet / JSON array)
};
// Short stable name of a reason ("invalid_json", "csv_quoting", ...), for reports and tests.
const char* problem_name(Problem p);

struct ReaderProblem {
  Problem reason;
  std::string location;  // "file:line" or "file: row group 3"
  std::string message;   // what exactly is wrong
};

struct Record {
  // What the reader hands over; JSON text is parsed later, in a worker thread (parse_record).
  enum class Kind {
    kText,   // `text` is a plain-text document (.txt line, or a whole file with
             // --document-per-file); handlers see it as {"text": text}
    kJson,   // `text` is the JSON text of one object (a .jsonl line, a .json array element)
    kFields  // `fields` is an object the reader built (a CSV row, a Parquet row)
  };
  Kind kind = Kind::kText;
  std::string text;
  nlohmann::json fields;
  std::string file;   // input file path
  int64_t line = 0;   // 1-based line where the record starts (txt, jsonl, json, csv); Parquet:
                      // 0-based row within its row group
  int64_t row_group = -1;  // Parquet only
  // "file:line", or "file: row group g, row r" for Parquet.
  std::string location() const;
};

struct ReaderOptions {
  bool document_per_file = false;  // .txt: the whole file is one document
  // Columns to read from Parquet / CSV (empty: all). Parquet skips the column chunks of others.
  std::vector<std::string> columns;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Appends records to `out` until about `max_bytes` of (decompressed) input were consumed or the
  // input ends; false once nothing is left. Problems found while reading (CSV quoting, a corrupt
  // Parquet page, a truncated compressed stream) are appended to `problems` and reading goes on
  // with what follows when the format allows it. Throws ascent::Error "[preprocess] FILE: ..."
  // only when the input cannot be read at all (missing file, not a Parquet file, I/O error).
  virtual bool next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                          size_t max_bytes) = 0;
  // On-disk bytes consumed so far and in total (compressed sizes), for progress and ETA.
  virtual int64_t bytes_done() const = 0;
  virtual int64_t bytes_total() const = 0;
};

// Opens `path`: a file, or a directory whose files of the majority extension (compression
// suffixes aside) are read in name order. The format comes from the extension (.txt, .json,
// .jsonl, .csv, .parquet, optionally followed by .gz or .zst). Throws ascent::Error
// "[preprocess] --input PATH: ..." for a missing path, an empty directory or an unknown extension.
std::unique_ptr<RecordReader> open_input(const std::string& path, const ReaderOptions& opts);

// The record as a JSON object (kText -> {"text": ...}; kJson parsed; kFields as is), or the
// problem (kInvalidJson / kNotAnObject) with the record's location. Thread-safe.
std::optional<ReaderProblem> parse_record(const Record& record, nlohmann::json& out);

}  // namespace ascent::data::readers
