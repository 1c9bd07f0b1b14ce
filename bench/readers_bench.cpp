// Throughput of the preprocess input readers (data/readers), one line of JSON per format; run
// from the repository root:
//   readers_bench SCRATCH_DIR [SOURCE.jsonl] [COPIES]
// Builds ~COPIES x SOURCE (default: GSM8K train, 25 copies ~ 100 MB) as .jsonl, .txt, .json
// array and .csv, each also .gz and .zst, plus .parquet (snappy / zstd) when node + DuckDB
// (tests/oracle/parquet_writer.mjs) are available, then reads every file in 16 MiB batches.
// MB/s counts decompressed input bytes; "parse" adds parse_record on every record.
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/readers/record_reader.h"

// The bench targets get no source-dir definition: paths are relative to the repository root.
#ifndef ASCENT_SOURCE_DIR
#define ASCENT_SOURCE_DIR "."
#endif

namespace {

using namespace ascent::data::readers;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

std::string csv_field(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void measure(const std::string& path, int64_t raw_bytes, bool parse) {
  // CPU time of this process: the machine may be shared.
  const std::clock_t c0 = std::clock();
  const auto reader = open_input(path, {});
  std::vector<Record> batch;
  std::vector<ReaderProblem> problems;
  int64_t records = 0;
  nlohmann::json j;
  while (reader->next_batch(batch, problems, 16 << 20)) {
    records += static_cast<int64_t>(batch.size());
    if (parse)
      for (const Record& r : batch) parse_record(r, j);
    batch.clear();
  }
  const double s = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  std::printf(
      "{\"file\":\"%s\",\"parse\":%s,\"records\":%lld,\"problems\":%zu,\"cpu_s\":%.3f,"
      "\"MB_per_s\":%.0f}\n",
      std::filesystem::path(path).filename().c_str(), parse ? "true" : "false",
      static_cast<long long>(records), problems.size(), s, raw_bytes / s / 1e6);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: readers_bench SCRATCH_DIR [SOURCE.jsonl] [COPIES]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string source =
      argc > 2 ? argv[2] : std::string(ASCENT_SOURCE_DIR) + "/../shared/data/gsm8k/train.jsonl";
  const int copies = argc > 3 ? std::atoi(argv[3]) : 25;
  std::filesystem::create_directories(dir);
  const std::string one = read_file(source);
  std::string jsonl, txt, array = "[\n", csv = "question,answer\n";
  for (int c = 0; c < copies; ++c) jsonl += one;
  size_t start = 0;
  while (start < jsonl.size()) {
    const size_t nl = jsonl.find('\n', start);
    const std::string line = jsonl.substr(start, nl - start);
    start = nl + 1;
    const auto o = nlohmann::json::parse(line);
    txt += o["question"].get<std::string>() + "\n";
    array += (array.size() > 2 ? ",\n" : "") + line;
    csv += csv_field(o["question"]) + "," + csv_field(o["answer"]) + "\n";
  }
  array += "\n]\n";
  const std::vector<std::pair<std::string, const std::string*>> files = {
      {"b.jsonl", &jsonl}, {"b.txt", &txt}, {"b.json", &array}, {"b.csv", &csv}};
  for (const auto& [name, data] : files) {
    write_file(dir + "/" + name, *data);
    write_file(dir + "/" + name + ".gz", gzip(*data));
    write_file(dir + "/" + name + ".zst", zstd(*data));
  }
  for (const auto& [name, data] : files) {
    const auto raw = static_cast<int64_t>(data->size());
    for (const char* suffix : {"", ".gz", ".zst"}) measure(dir + "/" + name + suffix, raw, false);
    if (name != "b.txt") measure(dir + "/" + name, raw, true);
  }
  // Parquet through DuckDB, when node is there.
  const std::string job = dir + "/job.json";
  nlohmann::json statements = nlohmann::json::array();
  for (const char* codec : {"snappy", "zstd"})
    statements.push_back("COPY (SELECT question, answer FROM read_json_auto('" + dir +
                         "/b.jsonl')) TO '" + dir + "/b_" + codec +
                         ".parquet' (FORMAT parquet, COMPRESSION " + codec + ")");
  write_file(job, nlohmann::json({{"statements", statements}}).dump());
  const std::string cmd = "node " + std::string(ASCENT_SOURCE_DIR) +
                          "/tests/oracle/parquet_writer.mjs " + job + " > /dev/null 2>&1";
  if (std::system(cmd.c_str()) == 0) {
    const auto raw = static_cast<int64_t>(csv.size());  // the same text, as the CSV holds it
    for (const char* codec : {"snappy", "zstd"})
      measure(dir + "/b_" + std::string(codec) + ".parquet", raw, false);
  } else {
    std::fprintf(stderr, "node + DuckDB not available: Parquet skipped\n");
  }
  return 0;
}
