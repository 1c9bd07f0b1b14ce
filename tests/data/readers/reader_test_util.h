#pragma once
// Shared helpers of the reader tests: shared data files, reading a whole input in batches,
// compressing test files (zlib / libzstd) and corrupting them.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/readers/record_reader.h"
#include "support/test_dir.h"

namespace ascent::data::readers::testing {

using ascent::testing::expect_error;
using ascent::testing::read_text;
using ascent::testing::TestDir;
using ascent::testing::write_text;

inline std::string shared_data(const std::string& rel) {
  return std::string(ASCENT_SOURCE_DIR) + "/../shared/data/" + rel;
}
inline std::string gsm8k() { return shared_data("gsm8k/train.jsonl"); }
inline std::string shakespeare() { return shared_data("tinyshakespeare/input.txt"); }

struct ReadResult {
  std::vector<Record> records;
  std::vector<ReaderProblem> problems;
  int64_t batches = 0;
};

// Reads the whole input in batches of about max_bytes; checks that progress ends at the total.
inline ReadResult read_input(const std::string& path, const ReaderOptions& opts = {},
                             size_t max_bytes = 1 << 20) {
  ReadResult res;
  const auto reader = open_input(path, opts);
  int64_t last_done = 0;
  while (reader->next_batch(res.records, res.problems, max_bytes)) {
    ++res.batches;
    EXPECT_GE(reader->bytes_done(), last_done);
    last_done = reader->bytes_done();
  }
  EXPECT_EQ(reader->bytes_done(), reader->bytes_total()) << path;
  EXPECT_FALSE(reader->next_batch(res.records, res.problems, max_bytes));
  return res;
}

// Every record parsed; a record that does not parse fails the test.
inline std::vector<nlohmann::json> objects(const std::vector<Record>& records) {
  std::vector<nlohmann::json> out;
  for (const Record& r : records) {
    nlohmann::json j;
    if (auto p = parse_record(r, j)) {
      ADD_FAILURE() << p->location << ": " << p->message;
      continue;
    }
    out.push_back(std::move(j));
  }
  return out;
}

// The lines of a file (without '\n'), as std::getline gives them.
inline std::vector<std::string> file_lines(const std::string& path) {
  std::vector<std::string> lines;
  const std::string text = read_text(path);
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

inline std::string gzip_bytes(const std::string& data, int level = 6) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string zstd_bytes(const std::string& data, int level = 3) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Writes `path`.gz and `path`.zst next to a copy of `data`; returns nothing.
inline void write_compressed(const std::string& path, const std::string& data) {
  write_text(path + ".gz", gzip_bytes(data));
  write_text(path + ".zst", zstd_bytes(data));
}

// Problems with reason `p`.
inline std::vector<ReaderProblem> problems_of(const ReadResult& res, Problem p) {
  std::vector<ReaderProblem> out;
  for (const auto& q : res.problems)
    if (q.reason == p) out.push_back(q);
  return out;
}

inline std::string describe(const std::vector<ReaderProblem>& problems) {
  std::string s;
  for (const auto& p : problems)
    s += std::string(problem_name(p.reason)) + " " + p.location + ": " + p.message + "\n";
  return s;
}

// Runs SQL statements in DuckDB (tests/oracle/parquet_writer.mjs) and returns the rows of the last
// one; fails the test (and returns null) when node or DuckDB fails.
inline nlohmann::json run_duckdb(const std::vector<std::string>& statements, const TestDir& dir) {
  const std::string job = dir / "duckdb_job.json", out = dir / "duckdb_out.json",
                    log = dir / "duckdb.log";
  write_text(job, nlohmann::json({{"statements", statements}}).dump());
  const std::string cmd = "node " + std::string(ASCENT_SOURCE_DIR) +
                          "/tests/oracle/parquet_writer.mjs '" + job + "' > '" + out + "' 2> '" +
                          log + "'";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "DuckDB job failed: " << cmd << "\n" << read_text(log);
    return nlohmann::json();
  }
  return nlohmann::json::parse(read_text(out));
}

// A SQL string literal.
inline std::string sql_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

}  // namespace ascent::data::readers::testing
