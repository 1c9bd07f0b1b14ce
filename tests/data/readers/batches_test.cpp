// Batching for every format: the concatenation of all batches does not depend on max_bytes,
// batches stay near max_bytes, and progress ends at the total.
#include <gtest/gtest.h>

#include "data/readers/reader_test_util.h"
#include "data/readers/record_reader.h"

namespace ascent::data::readers::testing {
namespace {

// A record's identity across batch sizes.
std::string key(const Record& r) {
  return r.location() + "|" + r.text + "|" + (r.fields.is_null() ? "" : r.fields.dump());
}

TEST(ReaderBatches, ConcatenationIsIndependentOfMaxBytes) {
  const TestDir dir;
  const auto lines = file_lines(gsm8k());
  std::string jsonl, txt, array = "[";
  for (size_t i = 0; i < 2000; ++i) {
    jsonl += lines[i] + "\n";
    txt += nlohmann::json::parse(lines[i])["question"].get<std::string>() + "\n\n";
    array += (i ? ",\n" : "\n") + lines[i];
  }
  write_text(dir / "a.jsonl", jsonl);
  write_text(dir / "a.txt", txt);
  write_text(dir / "a.json", array + "]");
  write_compressed(dir / "a.jsonl", jsonl);
  const std::string src = "read_json_auto(" + sql_quote(dir / "a.jsonl") + ")";
  run_duckdb(
      {"COPY (SELECT * FROM " + src + ") TO " + sql_quote(dir / "a.csv") + " (FORMAT csv, HEADER)",
       "COPY (SELECT * FROM " + src + ") TO " + sql_quote(dir / "a.parquet") +
           " (FORMAT parquet, ROW_GROUP_SIZE 2048)"},
      dir);
  for (const char* name :
       {"a.jsonl", "a.jsonl.gz", "a.jsonl.zst", "a.txt", "a.json", "a.csv", "a.parquet"}) {
    const ReadResult whole = read_input(dir / name, {}, size_t(1) << 40);
    ASSERT_EQ(whole.records.size(), 2000u) << name;
    EXPECT_EQ(whole.batches, 1) << name;
    for (size_t max_bytes : {size_t(0), size_t(777), size_t(100000)}) {
      const auto reader = open_input(dir / name, {});
      std::vector<Record> all;
      std::vector<ReaderProblem> problems;
      int64_t batches = 0;
      for (std::vector<Record> batch; reader->next_batch(batch, problems, max_bytes);
           batch.clear()) {
        ++batches;
        for (auto& r : batch) all.push_back(std::move(r));
      }
      EXPECT_TRUE(problems.empty()) << name << describe(problems);
      EXPECT_EQ(reader->bytes_done(), reader->bytes_total()) << name;
      ASSERT_EQ(all.size(), whole.records.size()) << name << " " << max_bytes;
      for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(key(all[i]), key(whole.records[i])) << name;
      // Small limits give many batches: at least one per max_bytes of text (or one per record).
      if (max_bytes == 0) {
        EXPECT_GE(batches, 2000) << name;
      }
      if (max_bytes == 100000) {
        EXPECT_GE(batches, 5) << name;
        EXPECT_LE(batches, 60) << name;
      }
    }
  }
}

}  // namespace
}  // namespace ascent::data::readers::testing
