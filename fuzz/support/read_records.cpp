#include "read_records.h"

#include "data/readers/record_reader.h"
#include "harness.h"

namespace ascent::fuzz {
namespace {

void read_once(const std::string& path, const data::readers::ReaderOptions& opts) {
  using namespace data::readers;
  const std::unique_ptr<RecordReader> reader = open_input(path, opts);
  std::vector<Record> records;
  std::vector<ReaderProblem> problems;
  while (reader->next_batch(records, problems, 1024)) {
    for (const Record& r : records) {
      nlohmann::json j;
      (void)parse_record(r, j);
      (void)r.location();
    }
    records.clear();
  }
  for (const ReaderProblem& p : problems) (void)problem_name(p.reason);
  (void)reader->bytes_done();
}

}  // namespace

void read_records(const std::string& path, const std::vector<std::string>& columns) {
  expect_errors([&] { read_once(path, {}); });
  if (columns.empty()) return;
  data::readers::ReaderOptions opts;
  opts.columns = columns;
  expect_errors([&] { read_once(path, opts); });
}

}  // namespace ascent::fuzz
