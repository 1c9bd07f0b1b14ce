// .parquet reader against files DuckDB writes at test time: every compression x page version,
// dictionary and plain strings, integers, booleans, floats, nulls, unicode, many row groups;
// GSM8K as Parquet; corrupt pages, cut files, column selection and nested columns.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "data/readers/reader_test_util.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers::testing {
namespace {

using nlohmann::json;

// DuckDB rounds row groups to multiples of 2048 rows: 9000 rows make 5 row groups.
constexpr int kRows = 9000;

// Row i of the synthetic table; every column has nulls but `id`.
json make_row(int i) {
  static const char* kCategories[] = {"alpha", "βeta", "gamma \"quoted\"", "", "日本語"};
  json row;
  row["id"] = static_cast<int64_t>(i) * 1000003 - 5000000000LL;
  row["small"] = i % 7 == 3 ? json() : json((i * 37) % 2001 - 1000);
  row["flag"] = i % 5 == 0 ? json() : json(i % 3 == 0);
  if (i % 11 == 0) {
    row["text"] = json();
  } else if (i % 13 == 0) {
    row["text"] = "";
  } else {
    std::string t = "row " + std::to_string(i) + " é中😀";
    if (i % 4 == 0) t += "\nsecond line, with \"quotes\" and a \\ backslash";
    if (i % 97 == 0) t += std::string(3000 + i % 500, 'x');
    row["text"] = t;
  }
  row["category"] = i % 17 == 0 ? json() : json(kCategories[i % 5]);
  row["score"] = i % 19 == 0 ? json() : json(i * 0.25 - 100.0);
  row["ratio"] = static_cast<double>(i % 64) * 0.5;  // exact in FLOAT
  return row;
}

std::vector<json> make_rows(int n) {
  std::vector<json> rows;
  for (int i = 0; i < n; ++i) rows.push_back(make_row(i));
  return rows;
}

// Writes the rows as JSON lines for DuckDB to read back with a fixed schema.
std::string rows_source(const std::vector<json>& rows, const TestDir& dir) {
  const std::string path = dir / "rows.jsonl";
  std::string text;
  for (const auto& r : rows) text += r.dump() + "\n";
  write_text(path, text);
  return "read_json(" + sql_quote(path) +
         ", format='newline_delimited', columns={id: 'BIGINT', small: 'INTEGER', flag: "
         "'BOOLEAN', text: 'VARCHAR', category: 'VARCHAR', score: 'DOUBLE', ratio: 'FLOAT'})";
}

std::string copy_to(const std::string& source, const std::string& path,
                    const std::string& options) {
  return "COPY (SELECT * FROM " + source + ") TO " + sql_quote(path) + " (FORMAT parquet, " +
         options + ")";
}

// The encodings DuckDB used, per column, from its parquet_metadata().
std::set<std::string> encodings_of(const std::string& path, const TestDir& dir) {
  std::set<std::string> out;
  const json rows =
      run_duckdb({"SELECT DISTINCT path_in_schema || ':' || encodings AS e FROM parquet_metadata(" +
                  sql_quote(path) + ")"},
                 dir);
  for (const auto& r : rows) out.insert(r["e"].get<std::string>());
  return out;
}

void expect_rows(const ReadResult& res, const std::vector<json>& rows, const std::string& what) {
  EXPECT_TRUE(res.problems.empty()) << what << "\n" << describe(res.problems);
  ASSERT_EQ(res.records.size(), rows.size()) << what;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(res.records[i].kind, Record::Kind::kFields);
    ASSERT_EQ(res.records[i].fields, rows[i]) << what << " row " << i;
  }
}

TEST(ParquetReader, EveryCompressionAndPageVersion) {
  const TestDir dir;
  const std::vector<json> rows = make_rows(kRows);
  const std::string source = rows_source(rows, dir);
  std::vector<std::string> statements, files;
  for (const char* codec : {"uncompressed", "snappy", "gzip", "zstd"}) {
    for (const char* version : {"V1", "V2"}) {
      files.push_back(dir / (std::string(codec) + "_" + version + ".parquet"));
      statements.push_back(copy_to(source, files.back(),
                                   std::string("COMPRESSION ") + codec +
                                       ", ROW_GROUP_SIZE 2048, PARQUET_VERSION " + version));
    }
  }
  statements.push_back("SELECT count(DISTINCT row_group_id) AS groups FROM parquet_metadata(" +
                       sql_quote(files[0]) + ")");
  const json groups = run_duckdb(statements, dir);
  ASSERT_FALSE(groups.is_null());
  EXPECT_GE(std::stoi(groups[0]["groups"].get<std::string>()), 4);
  for (const std::string& f : files) {
    const ReadResult res = read_input(f, {}, 64 << 10);
    expect_rows(res, rows, f);
    EXPECT_GT(res.batches, 10);
    std::set<int64_t> groups_seen;
    for (const auto& r : res.records) groups_seen.insert(r.row_group);
    EXPECT_GE(groups_seen.size(), 4u);
  }
  // What the files exercise (kept visible so a DuckDB upgrade that changes it is noticed).
  std::set<std::string> v1 = encodings_of(files[0], dir), v2 = encodings_of(files[1], dir);
  std::string all;
  for (const auto& e : v1) all += " v1:" + e;
  for (const auto& e : v2) all += " v2:" + e;
  std::cout << "[ encodings ]" << all << "\n";
  EXPECT_NE(all.find("RLE_DICTIONARY"), std::string::npos) << all;
  EXPECT_NE(all.find("v2:id:DELTA_BINARY_PACKED"), std::string::npos) << all;
}

TEST(ParquetReader, ColumnSelectionAndLocations) {
  const TestDir dir;
  const std::vector<json> rows = make_rows(kRows);
  const std::string f = dir / "t.parquet";
  run_duckdb({copy_to(rows_source(rows, dir), f, "COMPRESSION zstd, ROW_GROUP_SIZE 2048")}, dir);
  ReaderOptions opts;
  opts.columns = {"text", "id"};
  const ReadResult res = read_input(f, opts);
  ASSERT_EQ(res.records.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    ASSERT_EQ(res.records[i].fields, json({{"id", rows[i]["id"]}, {"text", rows[i]["text"]}}));
  // Rows count from 0 within their row group.
  int64_t group = 0, row = 0;
  for (const auto& r : res.records) {
    if (r.row_group != group) {
      EXPECT_EQ(r.row_group, group + 1);
      group = r.row_group;
      row = 0;
    }
    ASSERT_EQ(r.line, row++);
  }
  EXPECT_EQ(res.records[1].location(), f + ": row group 0, row 1");
  json j;
  EXPECT_FALSE(parse_record(res.records[1], j));
  EXPECT_EQ(j, res.records[1].fields);
  opts.columns = {"text", "nope"};
  expect_error([&] { read_input(f, opts); }, {"[preprocess] ", f, "no column 'nope'", "category"});
}

TEST(ParquetReader, NestedColumnsOnlyWhenRequested) {
  const TestDir dir;
  const std::string f = dir / "n.parquet";
  run_duckdb({"COPY (SELECT i AS id, 'text ' || i AS text, [i, i + 1] AS nums, {'a': i} AS s "
              "FROM range(100) t(i)) TO " +
              sql_quote(f) + " (FORMAT parquet)"},
             dir);
  ReaderOptions opts;
  opts.columns = {"text", "id"};
  const ReadResult res = read_input(f, opts);
  ASSERT_EQ(res.records.size(), 100u);
  EXPECT_EQ(res.records[42].fields, json({{"id", 42}, {"text", "text 42"}}));
  opts.columns = {"nums"};
  expect_error([&] { read_input(f, opts); }, {f, "column 'nums'", "nested or repeated"});
  expect_error([&] { read_input(f, {}); },
               {f, "column 'nums'", "nested or repeated", "pass the columns"});
}

TEST(ParquetReader, OtherTypes) {
  const TestDir dir;
  const std::string f = dir / "types.parquet";
  run_duckdb({"COPY (SELECT i::TINYINT AS i8, (i * 600)::SMALLINT AS i16, (i * 4000000000)::BIGINT "
              "AS i64, "
              "(i * 3)::UTINYINT AS u8, (4000000000 + i)::UINTEGER AS u32, (18000000000000000000 + "
              "i)::UBIGINT AS u64, "
              "(i / 8)::FLOAT AS f32, i / 3 AS f64, (i * 1.25)::DECIMAL(9, 2) AS dec, "
              "CASE WHEN i % 2 = 0 THEN true ELSE false END AS b, 'blob' || i AS s "
              "FROM range(50) t(i)) TO " +
              sql_quote(f) + " (FORMAT parquet)"},
             dir);
  const ReadResult res = read_input(f);
  ASSERT_EQ(res.records.size(), 50u) << describe(res.problems);
  for (int i = 0; i < 50; ++i) {
    const json& r = res.records[i].fields;
    EXPECT_EQ(r["i8"], i);
    EXPECT_EQ(r["i16"], i * 600);
    EXPECT_EQ(r["i64"], static_cast<int64_t>(i) * 4000000000LL);
    EXPECT_EQ(r["u8"], i * 3);
    EXPECT_EQ(r["u32"], 4000000000ULL + i);
    EXPECT_EQ(r["u64"], 18000000000000000000ULL + i);
    EXPECT_EQ(r["f32"], i / 8.0);
    EXPECT_DOUBLE_EQ(r["f64"].get<double>(), i / 3.0);
    EXPECT_DOUBLE_EQ(r["dec"].get<double>(), i * 1.25);
    EXPECT_EQ(r["b"], i % 2 == 0);
    EXPECT_EQ(r["s"], "blob" + std::to_string(i));
  }
}

TEST(ParquetReader, Gsm8kRealData) {
  const TestDir dir;
  const auto lines = file_lines(gsm8k());
  std::vector<std::string> statements, files;
  for (const char* options :
       {"COMPRESSION snappy", "COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 2048"}) {
    files.push_back(dir / std::to_string(files.size()) + ".parquet");
    statements.push_back("COPY (SELECT question, answer FROM read_json_auto(" + sql_quote(gsm8k()) +
                         ")) TO " + sql_quote(files.back()) + " (FORMAT parquet, " + options + ")");
  }
  run_duckdb(statements, dir);
  for (const auto& f : files) {
    const ReadResult res = read_input(f, {}, 256 << 10);
    EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
    ASSERT_EQ(res.records.size(), lines.size()) << f;
    for (size_t i = 0; i < lines.size(); ++i)
      ASSERT_EQ(res.records[i].fields, json::parse(lines[i])) << i;
  }
}

// Offsets DuckDB reports for the first page of column `column` in each row group.
std::vector<std::pair<int64_t, int64_t>> page_ranges(const std::string& f,
                                                     const std::string& column,
                                                     const TestDir& dir) {
  const json rows = run_duckdb(
      {"SELECT coalesce(dictionary_page_offset, data_page_offset) AS start, total_compressed_size "
       "AS len "
       "FROM parquet_metadata(" +
       sql_quote(f) + ") WHERE path_in_schema = " + sql_quote(column) + " ORDER BY row_group_id"},
      dir);
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& r : rows)
    out.emplace_back(std::stoll(r["start"].get<std::string>()),
                     std::stoll(r["len"].get<std::string>()));
  return out;
}

TEST(ParquetReader, CorruptPagesCostOnlyTheirRowGroup) {
  const TestDir dir;
  const std::vector<json> rows = make_rows(kRows);
  const std::string source = rows_source(rows, dir);
  for (const char* options : {"COMPRESSION uncompressed", "COMPRESSION zstd, PARQUET_VERSION V2"}) {
    const std::string f = dir / "c.parquet";
    run_duckdb({copy_to(source, f, std::string(options) + ", ROW_GROUP_SIZE 2048")}, dir);
    const auto ranges = page_ranges(f, "text", dir);
    ASSERT_GE(ranges.size(), 4u);
    const ReadResult clean = read_input(f);
    expect_rows(clean, rows, f);
    // Garbage over the chunk's first page header in row group 1.
    std::string bytes = read_text(f);
    for (int64_t k = 0; k < 16; ++k) bytes[ranges[1].first + k] = static_cast<char>(0xff);
    write_text(f, bytes);
    const ReadResult res = read_input(f);
    ASSERT_EQ(res.problems.size(), 1u) << describe(res.problems);
    EXPECT_EQ(res.problems[0].reason, Problem::kParquetCorrupt);
    EXPECT_EQ(res.problems[0].location, f + ": row group 1");
    std::vector<json> expected;
    for (const auto& r : clean.records)
      if (r.row_group != 1) expected.push_back(r.fields);
    ASSERT_EQ(res.records.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(res.records[i].fields, expected[i]);
    // Not reading the broken column avoids the problem.
    ReaderOptions opts;
    opts.columns = {"id"};
    const ReadResult ids = read_input(f, opts);
    EXPECT_TRUE(ids.problems.empty());
    EXPECT_EQ(ids.records.size(), rows.size());
  }
}

TEST(ParquetReader, CutFilesAndNonParquet) {
  const TestDir dir;
  const std::string f = dir / "t.parquet";
  run_duckdb({copy_to(rows_source(make_rows(2000), dir), f, "COMPRESSION snappy")}, dir);
  const std::string bytes = read_text(f);
  for (size_t keep : {bytes.size() / 2, bytes.size() - 1, size_t(4), size_t(11)}) {
    write_text(dir / "cut.parquet", bytes.substr(0, keep));
    const ReadResult res = read_input(dir / "cut.parquet");
    EXPECT_TRUE(res.records.empty());
    ASSERT_EQ(res.problems.size(), 1u) << keep;
    EXPECT_EQ(res.problems[0].reason, Problem::kTruncated);
    EXPECT_EQ(res.problems[0].location, (dir / "cut.parquet") + ": footer");
    EXPECT_NE(res.problems[0].message.find("no Parquet footer"), std::string::npos);
  }
  // A footer whose metadata is garbage.
  std::string bad = bytes;
  uint32_t footer_len;
  std::memcpy(&footer_len, bad.data() + bad.size() - 8, 4);
  for (size_t i = bad.size() - 8 - footer_len; i < bad.size() - 8; ++i)
    bad[i] = static_cast<char>(0xee);
  write_text(dir / "bad.parquet", bad);
  const ReadResult res = read_input(dir / "bad.parquet");
  ASSERT_EQ(res.problems.size(), 1u);
  EXPECT_EQ(res.problems[0].reason, Problem::kParquetCorrupt);
  EXPECT_EQ(res.problems[0].location, (dir / "bad.parquet") + ": footer");
  write_text(dir / "x.parquet", "{\"not\": \"parquet\"}");
  expect_error([&] { read_input(dir / "x.parquet"); },
               {"[preprocess] ", "x.parquet", "not a Parquet file"});
  write_text(dir / "e.parquet", "");
  expect_error([&] { read_input(dir / "e.parquet"); }, {"e.parquet", "not a Parquet file"});
}

// Random byte damage anywhere in the file: the reader never crashes and never returns a row
// group partially; every row group is either whole or reported.
TEST(ParquetReader, RandomDamageIsReportedNotFatal) {
  const TestDir dir;
  const std::vector<json> rows = make_rows(kRows);
  const std::string source = rows_source(rows, dir);
  std::vector<std::string> files;
  std::vector<std::string> statements;
  for (const char* options : {"COMPRESSION uncompressed", "COMPRESSION snappy, PARQUET_VERSION V2",
                              "COMPRESSION gzip", "COMPRESSION zstd, PARQUET_VERSION V2"}) {
    files.push_back(dir / std::to_string(files.size()) + ".parquet");
    statements.push_back(
        copy_to(source, files.back(), std::string(options) + ", ROW_GROUP_SIZE 2048"));
  }
  run_duckdb(statements, dir);
  std::mt19937 rng(1234);
  int reported = 0, errors = 0;
  for (const auto& f : files) {
    const std::string clean = read_text(f);
    const ReadResult good = read_input(f);
    ASSERT_TRUE(good.problems.empty());
    std::map<int64_t, size_t> group_rows;
    for (const auto& r : good.records) ++group_rows[r.row_group];
    for (int trial = 0; trial < 60; ++trial) {
      std::string bytes = clean;
      const int hits = 1 + static_cast<int>(rng() % 8);
      for (int h = 0; h < hits; ++h) {
        // Mostly the data area, sometimes the footer.
        const size_t pos = trial % 5 == 4
                               ? bytes.size() - 1 - rng() % std::min<size_t>(bytes.size(), 400)
                               : 4 + rng() % (bytes.size() - 4);
        bytes[pos] = static_cast<char>(rng());
      }
      const std::string damaged = dir / "damaged.parquet";
      write_text(damaged, bytes);
      try {
        const auto reader = open_input(damaged, {});
        std::vector<Record> out;
        std::vector<ReaderProblem> problems;
        while (reader->next_batch(out, problems, 1 << 20)) {
        }
        reported += !problems.empty();
        std::map<int64_t, size_t> seen;
        for (const auto& r : out) ++seen[r.row_group];
        for (const auto& [g, n] : seen)
          if (group_rows.count(g)) {
            EXPECT_EQ(n, group_rows[g]) << "row group " << g << " partial";
          }
      } catch (const ascent::Error& e) {
        ++errors;  // e.g. a damaged codec id or column name in the footer
        std::cout << "[ damage ] " << e.what() << "\n";
      }
    }
  }
  EXPECT_GT(reported, 50);
  std::cout << "[ damage ] " << reported << " runs reported problems, " << errors << " threw\n";
}

}  // namespace
}  // namespace ascent::data::readers::testing
