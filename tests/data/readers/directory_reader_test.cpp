// A directory as input: the files of the majority format, in name order, compressed or not.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/readers/reader_test_util.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers::testing {
namespace {

TEST(ReaderDirectory, MajorityFormatInNameOrder) {
  const TestDir dir;
  write_text(dir / "b.jsonl", "{\"text\": \"b1\"}\n{\"text\": \"b2\"}\n");
  write_text(dir / "a.jsonl.gz", gzip_bytes("{\"text\": \"a1\"}\n"));
  write_text(dir / "c.JSONL.zst", zstd_bytes("{\"text\": \"c1\"}\n"));
  write_text(dir / "notes.txt", "not read\n");
  write_text(dir / "README.md", "not read\n");
  write_text(dir / ".hidden.jsonl", "{\"text\": \"hidden\"}\n");
  std::filesystem::create_directories(dir / "sub");
  write_text(dir / "sub/d.jsonl", "{\"text\": \"nested\"}\n");
  const ReadResult res = read_input(dir.str());
  EXPECT_TRUE(res.problems.empty());
  std::vector<std::string> texts, files;
  for (const auto& o : objects(res.records)) texts.push_back(o["text"]);
  EXPECT_EQ(texts, (std::vector<std::string>{"a1", "b1", "b2", "c1"}));
  EXPECT_EQ(res.records[0].location(), (dir / "a.jsonl.gz") + ":1");
  EXPECT_EQ(res.records[2].location(), (dir / "b.jsonl") + ":2");
}

TEST(ReaderDirectory, RealDataMixed) {
  const TestDir dir;
  std::filesystem::copy_file(shakespeare(), dir / "1.txt");
  write_text(dir / "2.txt.gz", gzip_bytes(read_text(shakespeare())));
  std::filesystem::copy_file(gsm8k(), dir / "g.jsonl");
  const ReadResult res = read_input(dir.str(), {}, 200 << 10);
  EXPECT_EQ(res.records.size(), 2u * (40000 - 7223));
  EXPECT_EQ(res.records.back().file, dir / "2.txt.gz");
  ReaderOptions opts;
  opts.document_per_file = true;
  const ReadResult docs = read_input(dir.str(), opts);
  ASSERT_EQ(docs.records.size(), 2u);
  EXPECT_EQ(docs.records[1].text, read_text(shakespeare()));
}

TEST(ReaderDirectory, ProblemsKeepTheirFile) {
  const TestDir dir;
  write_text(dir / "a.csv", "x\n\"open\n");
  write_text(dir / "b.csv", "x\n1\n");
  const ReadResult res = read_input(dir.str());
  ASSERT_EQ(res.records.size(), 1u);
  ASSERT_EQ(res.problems.size(), 1u);
  EXPECT_EQ(res.problems[0].location, (dir / "a.csv") + ":2");
}

TEST(ReaderDirectory, EmptyOrAmbiguousDirectoriesAreErrors) {
  const TestDir dir;
  std::filesystem::create_directories(dir / "empty");
  write_text(dir / "empty/readme.md", "x");
  expect_error([&] { open_input(dir / "empty", {}); },
               {"[preprocess] --input ", "empty", "no .txt"});
  std::filesystem::create_directories(dir / "tie");
  write_text(dir / "tie/a.txt", "x\n");
  write_text(dir / "tie/b.csv", "x\n");
  expect_error([&] { open_input(dir / "tie", {}); },
               {"tie", "no majority format", "1 .txt", "1 .csv"});
}

}  // namespace
}  // namespace ascent::data::readers::testing
