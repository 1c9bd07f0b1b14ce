// Problems, record locations and the parse step that turns a record into a JSON object.
#include <string_view>

#include "data/readers/record_reader.h"

namespace ascent::data::readers {

const char* problem_name(Problem p) {
  switch (p) {
    case Problem::kInvalidJson:
      return "invalid_json";
    case Problem::kNotAnObject:
      return "not_an_object";
    case Problem::kMissingKey:
      return "missing_key";
    case Problem::kNotAString:
      return "not_a_string";
    case Problem::kEmptyText:
      return "empty_text";
    case Problem::kInvalidUtf8:
      return "invalid_utf8";
    case Problem::kCsvQuoting:
      return "csv_quoting";
    case Problem::kCsvFieldCount:
      return "csv_field_count";
    case Problem::kParquetCorrupt:
      return "parquet_corrupt";
    case Problem::kTruncated:
      return "truncated";
  }
  return "unknown";
}

std::string Record::location() const {
  if (row_group >= 0)
    return file + ": row group " + std::to_string(row_group) + ", row " + std::to_string(line);
  return file + ":" + std::to_string(line);
}

std::optional<ReaderProblem> parse_record(const Record& record, nlohmann::json& out) {
  switch (record.kind) {
    case Record::Kind::kText:
      out = nlohmann::json::object();
      out["text"] = record.text;
      return std::nullopt;
    case Record::Kind::kFields:
      out = record.fields;
      return std::nullopt;
    case Record::Kind::kJson:
      break;
  }
  out = nlohmann::json::parse(record.text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    // Parse again for the reason: the fast path above does not throw.
    std::string why = "invalid JSON";
    try {
      const nlohmann::json again = nlohmann::json::parse(record.text);
      (void)again;
    } catch (const nlohmann::json::parse_error& e) {
      // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep the position and cause.
      const std::string_view what = e.what();
      const size_t tag = what.find("] ");
      why = "invalid JSON: " +
            std::string(tag == std::string_view::npos ? what : what.substr(tag + 2));
    }
    out = nlohmann::json();
    return ReaderProblem{Problem::kInvalidJson, record.location(), why};
  }
  if (!out.is_object()) {
    const std::string type = out.type_name();
    out = nlohmann::json();
    return ReaderProblem{Problem::kNotAnObject, record.location(),
                         "not a JSON object (a JSON " + type + ")"};
  }
  return std::nullopt;
}

}  // namespace ascent::data::readers
