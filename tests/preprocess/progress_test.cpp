// Progress follows --log-interval, reports the input bytes behind the documents written (not the
// reader's read-ahead) and does not repeat its last line.
#include "preprocess/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "data/readers/record_reader.h"
#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {
namespace {

TEST(Progress, LogLinesEveryLogIntervalAndNoRepeatedLastLine) {
  std::vector<std::string> lines;
  {
    Progress p(1000, 10, nullptr, [&](const std::string& l) { lines.push_back(l); });
    for (int64_t docs : {3, 9, 10, 14, 25, 29}) p.update(docs, docs * 7, docs * 10);
    p.finish();  // 29 documents were not shown yet: one last line
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("[preprocess] 10 documents, 70 tokens", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(", 10%,"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("[preprocess] 25 documents", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("[preprocess] 29 documents", 0), 0u) << lines[2];

  lines.clear();
  {
    Progress p(1000, 10, nullptr, [&](const std::string& l) { lines.push_back(l); });
    p.update(20, 1, 1000);
    p.finish();  // already shown: no second line with the same count
  }
  EXPECT_EQ(lines.size(), 1u);

  lines.clear();
  {
    Progress p(1000, 100, nullptr, [&](const std::string& l) { lines.push_back(l); });
    p.update(40, 1, 1000);
    p.finish();  // a run shorter than one interval stays quiet (the summary follows)
  }
  EXPECT_TRUE(lines.empty());
}

TEST(Progress, TerminalBarRedrawsPerLogInterval) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Progress p(1000, 10, out, nullptr, /*min_redraw_seconds=*/0.0);
    p.update(5, 5, 100);   // below the interval: not drawn
    p.update(12, 5, 500);  // drawn: 50%
    p.update(15, 5, 600);  // same interval: not drawn
    p.finish();
  }
  std::rewind(out);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), out));
  std::fclose(out);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 2) << text;  // one update + the final
  EXPECT_NE(text.find(" 50%"), std::string::npos) << text;
  EXPECT_EQ(text.find(" 60%"), std::string::npos) << text;
  EXPECT_NE(text.find("100%"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

// A 4 MB JSONL file read in 1 MB batches: after each batch the reader reports the bytes of the
// records it returned, not its read-ahead buffer (which made the bar read 100% with a quarter of
// the documents still to come).
TEST(Progress, ReaderBytesFollowTheRecordsReturned) {
  TestDir dir;
  const std::string object = "{\"text\": \"" + std::string(990, 'x') + "\"}";
  std::string lines, array = "[";
  for (int i = 0; i < 4096; ++i) {
    lines += object + "\n";
    array += (i ? ",\n" : "") + object;
  }
  write_text(dir / "big.jsonl", lines);
  write_text(dir / "big.json", array + "]");
  for (const char* name : {"big.jsonl", "big.json"}) {
    const auto reader = data::readers::open_input(dir / name, {});
    std::vector<data::readers::Record> records;
    std::vector<data::readers::ReaderProblem> problems;
    int64_t returned = 0;
    bool more = true;
    while (more) {
      records.clear();
      more = reader->next_batch(records, problems, 1 << 20);
      for (const auto& r : records) returned += static_cast<int64_t>(r.text.size()) + 2;
      const int64_t done = reader->bytes_done();
      EXPECT_LE(done, returned + 4096) << name;
      EXPECT_GE(done, returned - 4096) << name;
    }
    EXPECT_EQ(reader->bytes_done(), reader->bytes_total()) << name;
  }
}

}  // namespace
}  // namespace ascent::preprocess::testing
