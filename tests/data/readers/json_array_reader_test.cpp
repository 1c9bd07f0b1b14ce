// .json reader: a top-level array split while streaming (GSM8K as an array, compressed copies,
// tricky strings, broken elements, cut files) and the JSON-lines fallback.
#include <gtest/gtest.h>

#include "data/readers/reader_test_util.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers::testing {
namespace {

// GSM8K's lines as one array, one element per line (element i on line i + 2).
std::string gsm8k_array() {
  std::string s = "[\n";
  const auto lines = file_lines(gsm8k());
  for (size_t i = 0; i < lines.size(); ++i) s += lines[i] + (i + 1 < lines.size() ? ",\n" : "\n");
  return s + "]\n";
}

TEST(ReaderJson, Gsm8kArrayPlainAndCompressed) {
  const TestDir dir;
  const std::string array = gsm8k_array();
  write_text(dir / "g.json", array);
  write_compressed(dir / "g.json", array);
  const auto lines = file_lines(gsm8k());
  for (const char* name : {"g.json", "g.json.gz", "g.json.zst"}) {
    const ReadResult res = read_input(dir / name, {}, 256 << 10);
    EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
    ASSERT_EQ(res.records.size(), lines.size()) << name;
    const auto objs = objects(res.records);
    ASSERT_EQ(objs.size(), lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_EQ(res.records[i].text, lines[i]);
      ASSERT_EQ(res.records[i].line, static_cast<int64_t>(i + 2));
      ASSERT_EQ(objs[i], nlohmann::json::parse(lines[i]));
    }
  }
}

TEST(ReaderJson, PrettyPrintedArrayWithTrickyStrings) {
  const TestDir dir;
  nlohmann::json arr = nlohmann::json::array();
  arr.push_back({{"text", "brackets ] [ } { and , commas"}, {"n", {1, 2, {{"x", "]"}}}}});
  arr.push_back({{"text", "escaped \"quote\" and backslash \\ and \\\" both"}});
  arr.push_back({{"text", "unicode: \u00e9\u4e2d\U0001F600 and a\nnewline"}});
  arr.push_back(
      {{"text", ""}, {"empty", nlohmann::json::object()}, {"list", nlohmann::json::array()}});
  write_text(dir / "a.json", "\xEF\xBB\xBF" + arr.dump(2));
  const ReadResult res = read_input(dir / "a.json");
  EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
  const auto objs = objects(res.records);
  ASSERT_EQ(objs.size(), arr.size());
  for (size_t i = 0; i < arr.size(); ++i) EXPECT_EQ(objs[i], arr[i]);
  EXPECT_EQ(res.records[0].line, 2);
  // The same array on one line.
  write_text(dir / "b.json", arr.dump());
  const auto one_line = objects(read_input(dir / "b.json").records);
  ASSERT_EQ(one_line.size(), arr.size());
  for (size_t i = 0; i < arr.size(); ++i) EXPECT_EQ(one_line[i], arr[i]);
}

// Backslash runs and escaped quotes land on every side of the reader's 1 MiB chunk boundaries.
TEST(ReaderJson, EscapesAcrossChunkBoundaries) {
  const TestDir dir;
  nlohmann::json arr = nlohmann::json::array();
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    std::string t = "x";
    for (int k = 0; k < i % 9; ++k) t += '\\';
    t += i % 2 ? "\"" : "]},[";
    t += std::string(static_cast<size_t>(i % 37), 'y');
    arr.push_back({{"t", t}});
  }
  write_text(dir / "a.json", arr.dump());
  const auto objs = objects(read_input(dir / "a.json").records);
  ASSERT_EQ(objs.size(), arr.size());
  for (size_t i = 0; i < arr.size(); ++i) ASSERT_EQ(objs[i], arr[i]) << i;
}

TEST(ReaderJson, EmptyArrayAndEmptyFile) {
  const TestDir dir;
  write_text(dir / "a.json", "  [ \n ]  \n");
  write_text(dir / "b.json", "");
  for (const char* name : {"a.json", "b.json"}) {
    const ReadResult res = read_input(dir / name);
    EXPECT_TRUE(res.records.empty());
    EXPECT_TRUE(res.problems.empty()) << describe(res.problems);
  }
}

TEST(ReaderJson, BadElementsCostOnlyThemselves) {
  const TestDir dir;
  write_text(dir / "a.json",
             "[\n"
             "{\"text\": \"one\"},\n"     // line 2
             "2,\n"                       // line 3: not an object
             "{\"text\": },\n"            // line 4: invalid
             ",\n"                        // line 5: empty element
             "{\"text\": \"two\"}}\n"     // line 6: stray brace
             ", {\"text\": \"three\"}\n"  // line 7
             "]\n");
  const ReadResult res = read_input(dir / "a.json");
  const std::string f = dir / "a.json";
  ASSERT_EQ(res.problems.size(), 1u) << describe(res.problems);
  EXPECT_EQ(res.problems[0].reason, Problem::kInvalidJson);
  EXPECT_EQ(res.problems[0].location, f + ":5");
  std::vector<std::string> texts, bad;
  for (const Record& r : res.records) {
    nlohmann::json j;
    if (auto p = parse_record(r, j))
      bad.push_back(std::string(problem_name(p->reason)) + "@" + p->location);
    else
      texts.push_back(j["text"]);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "three"}));
  EXPECT_EQ(bad, (std::vector<std::string>{"not_an_object@" + f + ":3", "invalid_json@" + f + ":4",
                                           "invalid_json@" + f + ":6"}));
}

TEST(ReaderJson, CutArraysAreReported) {
  const TestDir dir;
  write_text(dir / "a.json", "[{\"text\": \"one\"},\n {\"text\": \"tw");
  write_text(dir / "b.json", "[{\"text\": \"one\"},\n {\"text\": \"two\"}\n");
  write_text(dir / "c.json", "[{\"text\": \"one\"}] trailing");
  const ReadResult a = read_input(dir / "a.json");
  ASSERT_EQ(a.records.size(), 1u);
  ASSERT_EQ(a.problems.size(), 1u);
  EXPECT_EQ(a.problems[0].reason, Problem::kTruncated);
  EXPECT_NE(a.problems[0].message.find("line 2 is dropped"), std::string::npos)
      << a.problems[0].message;
  const ReadResult b = read_input(dir / "b.json");
  ASSERT_EQ(b.records.size(), 2u);  // the last element is whole, only the ']' is missing
  ASSERT_EQ(b.problems.size(), 1u);
  EXPECT_EQ(b.problems[0].reason, Problem::kTruncated);
  const ReadResult c = read_input(dir / "c.json");
  ASSERT_EQ(c.records.size(), 1u);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].reason, Problem::kInvalidJson);
  EXPECT_NE(c.problems[0].message.find("after the closing"), std::string::npos);
}

TEST(ReaderJson, TruncatedCompressedArray) {
  const TestDir dir;
  const std::string gz = gzip_bytes(gsm8k_array());
  write_text(dir / "g.json.gz", gz.substr(0, gz.size() / 3));
  const ReadResult res = read_input(dir / "g.json.gz");
  ASSERT_EQ(res.problems.size(), 1u) << describe(res.problems);
  EXPECT_EQ(res.problems[0].reason, Problem::kTruncated);
  EXPECT_GT(res.records.size(), 1000u);
  EXPECT_EQ(objects(res.records).size(), res.records.size());
}

TEST(ReaderJson, WithoutABracketItIsJsonLines) {
  const TestDir dir;
  write_text(dir / "a.json", "\n  {\"text\": \"one\"}\n{\"text\": \"two\"}\n");
  const ReadResult res = read_input(dir / "a.json");
  ASSERT_EQ(res.records.size(), 2u);
  EXPECT_EQ(res.records[1].line, 3);
  EXPECT_EQ(objects(res.records)[1]["text"], "two");
}

TEST(ReaderJson, BatchesConcatenateToTheSameRecords) {
  const TestDir dir;
  write_text(dir / "g.json", gsm8k_array());
  const ReadResult whole = read_input(dir / "g.json", {}, size_t(1) << 40);
  for (size_t max_bytes : {size_t(0), size_t(5000)}) {
    const ReadResult res = read_input(dir / "g.json", {}, max_bytes);
    ASSERT_EQ(res.records.size(), whole.records.size());
    EXPECT_GT(res.batches, max_bytes == 0 ? 7000 : 700);
    for (size_t i = 0; i < res.records.size(); ++i)
      ASSERT_EQ(res.records[i].text, whole.records[i].text);
  }
}

}  // namespace
}  // namespace ascent::data::readers::testing
