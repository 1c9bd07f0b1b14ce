// .txt and .jsonl readers: real data (tiny Shakespeare, GSM8K), compressed copies, bad lines,
// batching and progress.
#include <gtest/gtest.h>

#include "data/readers/reader_test_util.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers::testing {
namespace {

TEST(ReaderTxt, ShakespeareOneDocumentPerNonEmptyLine) {
  const std::vector<std::string> lines = file_lines(shakespeare());
  ASSERT_EQ(lines.size(), 40000u);
  const ReadResult res = read_input(shakespeare());
  EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
  size_t k = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    ASSERT_LT(k, res.records.size());
    const Record& r = res.records[k++];
    EXPECT_EQ(r.kind, Record::Kind::kText);
    EXPECT_EQ(r.text, lines[i]);
    EXPECT_EQ(r.line, static_cast<int64_t>(i + 1));
    EXPECT_EQ(r.file, shakespeare());
  }
  EXPECT_EQ(k, res.records.size());
  EXPECT_EQ(res.records.size(), 40000u - 7223u);
  nlohmann::json j;
  EXPECT_FALSE(parse_record(res.records[0], j));
  EXPECT_EQ(j, nlohmann::json({{"text", "First Citizen:"}}));
  EXPECT_EQ(res.records[0].location(), shakespeare() + ":1");
}

TEST(ReaderTxt, DocumentPerFile) {
  ReaderOptions opts;
  opts.document_per_file = true;
  const ReadResult res = read_input(shakespeare(), opts);
  ASSERT_EQ(res.records.size(), 1u);
  EXPECT_EQ(res.records[0].text, read_text(shakespeare()));
  EXPECT_EQ(res.records[0].line, 1);
}

TEST(ReaderTxt, CompressedCopiesReadTheSame) {
  const TestDir dir;
  const std::string text = read_text(shakespeare());
  write_compressed(dir / "s.txt", text);
  const ReadResult plain = read_input(shakespeare());
  for (const char* ext : {".gz", ".zst"}) {
    const ReadResult res = read_input(dir / (std::string("s.txt") + ext), {}, 64 << 10);
    EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
    ASSERT_EQ(res.records.size(), plain.records.size()) << ext;
    for (size_t i = 0; i < res.records.size(); ++i) {
      ASSERT_EQ(res.records[i].text, plain.records[i].text);
      ASSERT_EQ(res.records[i].line, plain.records[i].line);
    }
    ReaderOptions per_file;
    per_file.document_per_file = true;
    const ReadResult doc = read_input(dir / (std::string("s.txt") + ext), per_file);
    ASSERT_EQ(doc.records.size(), 1u);
    EXPECT_EQ(doc.records[0].text, text);
  }
}

TEST(ReaderTxt, CrlfBomAndMissingFinalNewline) {
  const TestDir dir;
  write_text(dir / "a.txt", "\xEF\xBB\xBFone\r\n\r\ntwo  \r\n   \nthree");
  const ReadResult res = read_input(dir / "a.txt");
  ASSERT_EQ(res.records.size(), 4u);
  EXPECT_EQ(res.records[0].text, "one");
  EXPECT_EQ(res.records[1].text, "two  ");
  EXPECT_EQ(res.records[1].line, 3);
  EXPECT_EQ(res.records[2].text, "   ");  // whitespace is text; only empty lines are skipped
  EXPECT_EQ(res.records[3].text, "three");
  EXPECT_EQ(res.records[3].line, 5);
}

TEST(ReaderTxt, LinesLongerThanTheBuffer) {
  const TestDir dir;
  const std::string long_line(5 << 20, 'x');
  write_text(dir / "a.txt", "a\n" + long_line + "\nb\n");
  const ReadResult res = read_input(dir / "a.txt");
  ASSERT_EQ(res.records.size(), 3u);
  EXPECT_EQ(res.records[1].text, long_line);
  EXPECT_EQ(res.records[2].text, "b");
}

TEST(ReaderTxt, EmptyFile) {
  const TestDir dir;
  write_text(dir / "a.txt", "");
  EXPECT_TRUE(read_input(dir / "a.txt").records.empty());
  ReaderOptions per_file;
  per_file.document_per_file = true;
  EXPECT_TRUE(read_input(dir / "a.txt", per_file).records.empty());
}

TEST(ReaderJsonl, Gsm8kEveryLine) {
  const std::vector<std::string> lines = file_lines(gsm8k());
  const ReadResult res = read_input(gsm8k());
  EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
  ASSERT_EQ(res.records.size(), lines.size());
  const std::vector<nlohmann::json> objs = objects(res.records);
  ASSERT_EQ(objs.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(res.records[i].kind, Record::Kind::kJson);
    EXPECT_EQ(res.records[i].line, static_cast<int64_t>(i + 1));
    ASSERT_EQ(objs[i], nlohmann::json::parse(lines[i]));
  }
  EXPECT_EQ(objs[0]["answer"].get<std::string>().substr(0, 13), "Natalia sold ");
}

TEST(ReaderJsonl, BatchesAreBoundedAndTheirConcatenationIsTheSame) {
  const ReadResult whole = read_input(gsm8k(), {}, size_t(1) << 40);
  EXPECT_EQ(whole.batches, 1);
  for (size_t max_bytes : {size_t(0), size_t(1), size_t(1000), size_t(64 << 10)}) {
    const auto reader = open_input(gsm8k(), {});
    std::vector<Record> all;
    std::vector<ReaderProblem> problems;
    int64_t batches = 0;
    for (;;) {
      std::vector<Record> batch;
      if (!reader->next_batch(batch, problems, max_bytes)) break;
      ++batches;
      size_t bytes = 0;
      for (const auto& r : batch) bytes += r.text.size() + 1;
      // At most one record past the limit.
      if (!batch.empty()) {
        EXPECT_LE(bytes - batch.back().text.size() - 1, std::max<size_t>(max_bytes, 1));
      }
      for (auto& r : batch) all.push_back(std::move(r));
    }
    ASSERT_EQ(all.size(), whole.records.size()) << max_bytes;
    for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].text, whole.records[i].text);
    if (max_bytes == 64 << 10) {
      EXPECT_GT(batches, 4166206 / (64 << 10) - 2);
    }
    EXPECT_TRUE(problems.empty());
  }
}

TEST(ReaderJsonl, ProgressReachesTheTotal) {
  const auto reader = open_input(gsm8k(), {});
  EXPECT_EQ(reader->bytes_total(), 4166206);
  EXPECT_EQ(reader->bytes_done(), 0);
  std::vector<Record> out;
  std::vector<ReaderProblem> problems;
  ASSERT_TRUE(reader->next_batch(out, problems, 100000));
  EXPECT_GT(reader->bytes_done(), 0);
  EXPECT_LT(reader->bytes_done(), reader->bytes_total());
  while (reader->next_batch(out, problems, 100000)) {
  }
  EXPECT_EQ(reader->bytes_done(), reader->bytes_total());
}

TEST(ReaderJsonl, BadLinesAreReportedWithTheirLocationAndTheRestIsRead) {
  const TestDir dir;
  write_text(dir / "a.jsonl",
             "{\"text\": \"one\"}\n"
             "\n"
             "{\"text\": \"two\"\n"  // line 3: unterminated object
             "  \t\r\n"
             "[1, 2]\n"                   // line 5: not an object
             "{\"text\": \"three\"}\r\n"  // line 6
             "\"just a string\"\n"        // line 7
             "{\"text\": \"four\"}");     // line 8, no final newline
  const ReadResult res = read_input(dir / "a.jsonl");
  EXPECT_TRUE(res.problems.empty());
  ASSERT_EQ(res.records.size(), 6u);
  std::vector<std::string> texts;
  std::vector<std::string> bad;
  for (const Record& r : res.records) {
    nlohmann::json j;
    if (auto p = parse_record(r, j)) {
      bad.push_back(std::string(problem_name(p->reason)) + "@" + p->location);
      EXPECT_FALSE(p->message.empty());
      EXPECT_EQ(p->message.find("json.exception"), std::string::npos) << p->message;
    } else {
      texts.push_back(j["text"]);
    }
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "three", "four"}));
  const std::string f = dir / "a.jsonl";
  EXPECT_EQ(bad, (std::vector<std::string>{"invalid_json@" + f + ":3", "not_an_object@" + f + ":5",
                                           "not_an_object@" + f + ":7"}));
}

TEST(ReaderJsonl, TruncatedCompressedFilesReportTheCut) {
  const TestDir dir;
  const std::string text = read_text(gsm8k());
  const std::string gz = gzip_bytes(text), zst = zstd_bytes(text);
  write_text(dir / "a.jsonl.gz", gz.substr(0, gz.size() / 2));
  write_text(dir / "a.jsonl.zst", zst.substr(0, zst.size() / 2));
  write_text(dir / "b.jsonl.gz", gz.substr(0, gz.size() - 4));  // only the trailer is missing
  for (const char* name : {"a.jsonl.gz", "a.jsonl.zst", "b.jsonl.gz"}) {
    const ReadResult res = read_input(dir / name);
    ASSERT_EQ(res.problems.size(), 1u) << name << describe(res.problems);
    const ReaderProblem& p = res.problems[0];
    EXPECT_EQ(p.reason, Problem::kTruncated);
    EXPECT_NE(p.message.find("truncated"), std::string::npos) << p.message;
    // Every record before the cut is whole and the next line is where the problem points.
    EXPECT_GT(res.records.size(), 1000u);
    for (const auto& o : objects(res.records)) EXPECT_TRUE(o.contains("answer"));
    EXPECT_EQ(p.location, (dir / name) + ":" + std::to_string(res.records.back().line + 1));
  }
}

TEST(ReaderJsonl, CorruptCompressedDataIsReported) {
  const TestDir dir;
  const std::string text = read_text(gsm8k());
  std::string gz = gzip_bytes(text), zst = zstd_bytes(text);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i)
    gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  for (size_t i = zst.size() / 2; i < zst.size() / 2 + 64; ++i)
    zst[i] = static_cast<char>(zst[i] ^ 0x5a);
  write_text(dir / "a.jsonl.gz", gz);
  write_text(dir / "a.jsonl.zst", zst);
  for (const char* name : {"a.jsonl.gz", "a.jsonl.zst"}) {
    const ReadResult res = read_input(dir / name);
    ASSERT_GE(res.problems.size(), 1u) << name;
    EXPECT_EQ(res.problems.back().reason, Problem::kTruncated) << describe(res.problems);
    EXPECT_NE(res.problems.back().message.find("corrupt"), std::string::npos);
    EXPECT_LT(res.records.size(), 7473u);
  }
}

TEST(ReaderJsonl, NotCompressedAtAllIsAnError) {
  const TestDir dir;
  write_text(dir / "a.jsonl.gz", "{\"text\": \"plain\"}\n");
  write_text(dir / "a.jsonl.zst", "{\"text\": \"plain\"}\n");
  expect_error([&] { read_input(dir / "a.jsonl.gz"); },
               {"[preprocess] ", "a.jsonl.gz", "not a gzip file"});
  expect_error([&] { read_input(dir / "a.jsonl.zst"); }, {"a.jsonl.zst", "not a zstd file"});
}

TEST(ReaderJsonl, ConcatenatedGzipMembersAndZstdFrames) {
  const TestDir dir;
  write_text(dir / "a.jsonl.gz",
             gzip_bytes("{\"a\": 1}\n{\"a\": 2}\n") + gzip_bytes("{\"a\": 3}\n"));
  write_text(dir / "a.jsonl.zst",
             zstd_bytes("{\"a\": 1}\n{\"a\": 2}\n") + zstd_bytes("{\"a\": 3}\n"));
  for (const char* name : {"a.jsonl.gz", "a.jsonl.zst"}) {
    const ReadResult res = read_input(dir / name);
    EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
    ASSERT_EQ(res.records.size(), 3u);
    EXPECT_EQ(res.records[2].text, "{\"a\": 3}");
    EXPECT_EQ(res.records[2].line, 3);
  }
}

TEST(ReaderInput, MissingPathAndUnknownExtension) {
  const TestDir dir;
  expect_error([&] { open_input(dir / "nope.jsonl", {}); },
               {"[preprocess] --input ", "nope.jsonl", "no such file"});
  write_text(dir / "a.xml", "<a/>");
  expect_error([&] { open_input(dir / "a.xml", {}); }, {"--input ", "a.xml", "unknown format"});
  write_text(dir / "a.parquet.gz", "x");
  expect_error([&] { open_input(dir / "a.parquet.gz", {}); },
               {"a.parquet.gz", "compressed Parquet"});
}

TEST(ReaderInput, ProblemNamesAreStable) {
  EXPECT_STREQ(problem_name(Problem::kInvalidJson), "invalid_json");
  EXPECT_STREQ(problem_name(Problem::kNotAnObject), "not_an_object");
  EXPECT_STREQ(problem_name(Problem::kMissingKey), "missing_key");
  EXPECT_STREQ(problem_name(Problem::kNotAString), "not_a_string");
  EXPECT_STREQ(problem_name(Problem::kEmptyText), "empty_text");
  EXPECT_STREQ(problem_name(Problem::kInvalidUtf8), "invalid_utf8");
  EXPECT_STREQ(problem_name(Problem::kCsvQuoting), "csv_quoting");
  EXPECT_STREQ(problem_name(Problem::kCsvFieldCount), "csv_field_count");
  EXPECT_STREQ(problem_name(Problem::kParquetCorrupt), "parquet_corrupt");
  EXPECT_STREQ(problem_name(Problem::kTruncated), "truncated");
  Record r;
  r.file = "x.parquet";
  r.row_group = 2;
  r.line = 7;
  EXPECT_EQ(r.location(), "x.parquet: row group 2, row 7");
}

}  // namespace
}  // namespace ascent::data::readers::testing
