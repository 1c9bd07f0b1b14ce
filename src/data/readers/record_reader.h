#pragma once
// Input readers of `ascent preprocess`: every supported input (.txt, .json, .jsonl, .csv,
// .parquet, each optionally .gz / .zst compressed; a file or a directory) as one stream of
// records, read in bounded batches so memory does not grow with the input.
//
// Per format (one file per format in this folder):
//   .txt      one kText record per line ('\r\n' ends a line too); empty lines are skipped. With
//             document_per_file the whole file is one record (none for an empty file).
//   .jsonl    one kJson record per line; blank lines are skipped.
//   .json     a top-level array, split into elements while streaming (kJson, line = where the
//             element starts); a file that does not start with '[' is read as JSON lines.
//   .csv      RFC 4180 with a header row; each row is a kFields object of strings.
//   .parquet  flat columns (nested / repeated ones only when not requested), one row group in
//             memory at a time; each row is a kFields object, nulls are JSON null.
// A UTF-8 BOM at the start of a text file is dropped. A compressed stream that is cut short or
// corrupt yields everything before the damage, then a kTruncated problem; a record cut in half is
// dropped, never returned partially.
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
  kParquetCorrupt,  // a Parquet row group / page that cannot be decoded (the rest is read);
                    // "file: footer" when the footer itself does not decode (nothing is read)
  kTruncated,       // a file that ends early (truncated .gz / .zst / JSON array; a .parquet
                    // without its footer: "file: footer", nothing of it can be read); also
                    // corrupt .gz / .zst data, where the rest of the file is skipped
};
// Short stable name of a reason ("invalid_json", "csv_quoting", ...), for reports and tests.
const char* problem_name(Problem p);

struct ReaderProblem {
  Problem reason;
  std::string location;  // "file:line", "file: row group 3" or "file: footer"
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
  std::string file;        // input file path
  int64_t line = 0;        // 1-based line where the record starts (txt, jsonl, json, csv); Parquet:
                           // 0-based row within its row group
  int64_t row_group = -1;  // Parquet only
  // "file:line", or "file: row group g, row r" for Parquet.
  std::string location() const;
};

struct ReaderOptions {
  bool document_per_file = false;  // .txt: the whole file is one document
  // Columns to read from Parquet / CSV (empty: all). Parquet skips the column chunks of others.
  // A column missing from a file is an error (ascent::Error naming the file and its columns).
  std::vector<std::string> columns;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Appends records to `out` until about `max_bytes` of (decompressed) input were consumed (at
  // least one record's worth; for Parquet, the bytes of the values) or the input ends. Returns
  // false once nothing is left: the call appended nothing and the input is at its end (a call
  // that returns true may append nothing, e.g. over a run of blank lines). Problems found while
  // reading (CSV quoting, a corrupt Parquet page, a truncated compressed stream) are appended to
  // `problems` and reading goes on with what follows when the format allows it. Throws
  // ascent::Error "[preprocess] FILE: ..." only when the input cannot be read at all (missing
  // file, not a Parquet file, not gzip / zstd data at all, a requested column missing, an
  // unsupported Parquet feature such as LZ4 / Brotli pages or encryption, an I/O error).
  virtual bool next_batch(std::vector<Record>& out, std::vector<ReaderProblem>& problems,
                          size_t max_bytes) = 0;
  // On-disk bytes behind the records returned so far (not the read-ahead; for compressed files
  // an estimate) and in total (compressed sizes), for progress and ETA.
  virtual int64_t bytes_done() const = 0;
  virtual int64_t bytes_total() const = 0;
};

// Opens `path`: a file, or a directory whose files of the majority extension (compression
// suffixes aside; a tie is an error) are read in name order, one open at a time (not recursive;
// hidden files are ignored, other files are skipped with a warning in the log). The format comes
// from the extension (.txt, .json, .jsonl, .csv, .parquet, case-insensitive, optionally followed
// by .gz or .zst; .parquet cannot be). Throws ascent::Error "[preprocess] --input PATH: ..." for
// a missing path, an empty directory or an unknown extension.
std::unique_ptr<RecordReader> open_input(const std::string& path, const ReaderOptions& opts);

// The record as a JSON object (kText -> {"text": ...}; kJson parsed; kFields as is), or the
// problem (kInvalidJson / kNotAnObject) with the record's location. Thread-safe.
std::optional<ReaderProblem> parse_record(const Record& record, nlohmann::json& out);

}  // namespace ascent::data::readers
