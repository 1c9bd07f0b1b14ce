// .csv reader (RFC 4180): GSM8K written by DuckDB (quotes, commas and newlines inside fields),
// compressed copies, broken quoting, wrong field counts, column selection.
#include <gtest/gtest.h>

#include "data/readers/reader_test_util.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers::testing {
namespace {

TEST(CsvReader, Gsm8kWrittenByDuckDb) {
  const TestDir dir;
  const std::string csv = dir / "g.csv";
  run_duckdb({"COPY (SELECT question, answer FROM read_json_auto(" + sql_quote(gsm8k()) + ")) TO " +
              sql_quote(csv) + " (FORMAT csv, HEADER)"},
             dir);
  const std::string bytes = read_text(csv);
  ASSERT_NE(bytes.find("\"\""), std::string::npos);  // the file does exercise quoting
  write_compressed(csv, bytes);
  const auto lines = file_lines(gsm8k());
  for (const char* name : {"g.csv", "g.csv.gz", "g.csv.zst"}) {
    const ReadResult res = read_input(dir / name, {}, 100 << 10);
    EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
    ASSERT_EQ(res.records.size(), lines.size()) << name;
    const auto objs = objects(res.records);
    int64_t line = 2;
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_EQ(objs[i], nlohmann::json::parse(lines[i])) << i;
      ASSERT_EQ(res.records[i].kind, Record::Kind::kFields);
      ASSERT_EQ(res.records[i].line, line);
      // Rows span as many lines as their fields hold newlines.
      for (const auto& [k, v] : objs[i].items())
        line += std::count(v.get_ref<const std::string&>().begin(),
                           v.get_ref<const std::string&>().end(), '\n');
      ++line;
    }
  }
}

TEST(CsvReader, QuotingCrlfBomAndEdges) {
  const TestDir dir;
  write_text(dir / "a.csv",
             "\xEF\xBB\xBF\"id\",text,extra\r\n"
             "1,plain,\r\n"
             "2,\"with, comma\",\"x\"\"y\"\r\n"
             "\r\n"
             "3,\"multi\r\nline\nfield\",\"\"\r\n"
             "4,lone\rcr,last");
  const ReadResult res = read_input(dir / "a.csv");
  EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
  const auto objs = objects(res.records);
  ASSERT_EQ(objs.size(), 4u);
  EXPECT_EQ(objs[0], nlohmann::json({{"id", "1"}, {"text", "plain"}, {"extra", ""}}));
  EXPECT_EQ(objs[1], nlohmann::json({{"id", "2"}, {"text", "with, comma"}, {"extra", "x\"y"}}));
  EXPECT_EQ(objs[2],
            nlohmann::json({{"id", "3"}, {"text", "multi\r\nline\nfield"}, {"extra", ""}}));
  EXPECT_EQ(objs[3], nlohmann::json({{"id", "4"}, {"text", "lone\rcr"}, {"extra", "last"}}));
  EXPECT_EQ(res.records[0].line, 2);
  EXPECT_EQ(res.records[2].line, 5);
  EXPECT_EQ(res.records[3].line, 8);
}

TEST(CsvReader, BrokenRowsAreReportedAndTheRestIsRead) {
  const TestDir dir;
  write_text(dir / "a.csv",
             "id,text\n"
             "1,good\n"
             "2,ba\"d\n"            // line 3: quote inside an unquoted field
             "3,\"bad\"x\n"         // line 4: junk after a closing quote
             "4,too,many\n"         // line 5
             "5\n"                  // line 6: too few
             "6,\"good\nagain\"\n"  // lines 7-8
             "7,\"never closed\n"   // line 9
             "8,lost\n");
  const ReadResult res = read_input(dir / "a.csv");
  const std::string f = dir / "a.csv";
  const auto objs = objects(res.records);
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0]["text"], "good");
  EXPECT_EQ(objs[1]["text"], "good\nagain");
  EXPECT_EQ(res.records[1].line, 7);
  std::vector<std::string> got;
  for (const auto& p : res.problems)
    got.push_back(std::string(problem_name(p.reason)) + "@" + p.location);
  EXPECT_EQ(got,
            (std::vector<std::string>{"csv_quoting@" + f + ":3", "csv_quoting@" + f + ":4",
                                      "csv_field_count@" + f + ":5", "csv_field_count@" + f + ":6",
                                      "csv_quoting@" + f + ":9"}))
      << describe(res.problems);
}

TEST(CsvReader, ColumnsSelectFields) {
  const TestDir dir;
  write_text(dir / "a.csv", "a,b,c\n1,2,3\n");
  ReaderOptions opts;
  opts.columns = {"c", "a"};
  const auto objs = objects(read_input(dir / "a.csv", opts).records);
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs[0], nlohmann::json({{"a", "1"}, {"c", "3"}}));
  opts.columns = {"a", "z"};
  expect_error([&] { read_input(dir / "a.csv", opts); },
               {"[preprocess] ", "a.csv", "no column 'z'", "a, b, c"});
  write_text(dir / "d.csv", "a,b,a\n1,2,3\n");
  expect_error([&] { read_input(dir / "d.csv"); }, {"d.csv", "column 'a' twice"});
  opts.columns = {"b"};
  EXPECT_EQ(objects(read_input(dir / "d.csv", opts).records)[0], nlohmann::json({{"b", "2"}}));
}

TEST(CsvReader, HeaderOnlyAndEmpty) {
  const TestDir dir;
  write_text(dir / "a.csv", "a,b\n");
  write_text(dir / "b.csv", "");
  for (const char* name : {"a.csv", "b.csv"}) {
    const ReadResult res = read_input(dir / name);
    EXPECT_TRUE(res.records.empty());
    EXPECT_TRUE(res.problems.empty());
  }
}

TEST(CsvReader, TruncatedCompressedCsv) {
  const TestDir dir;
  std::string csv = "text\n";
  for (int i = 0; i < 20000; ++i) csv += "\"row " + std::to_string(i) + ", quoted\"\n";
  const std::string zst = zstd_bytes(csv);
  write_text(dir / "a.csv.zst", zst.substr(0, zst.size() - 10));
  const ReadResult res = read_input(dir / "a.csv.zst");
  ASSERT_EQ(res.problems.size(), 1u) << describe(res.problems);
  EXPECT_EQ(res.problems[0].reason, Problem::kTruncated);
  ASSERT_GT(res.records.size(), 100u);
  const auto objs = objects(res.records);
  for (size_t i = 0; i < objs.size(); ++i)
    ASSERT_EQ(objs[i]["text"], "row " + std::to_string(i) + ", quoted");
}

}  // namespace
}  // namespace ascent::data::readers::testing
