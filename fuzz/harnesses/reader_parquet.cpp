// preprocess reader of a .parquet input (flat columns, one row group at a time): the input is the
// file.
#include "harness.h"
#include "read_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("input.parquet");
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::read_records(path, {"text"});
  return 0;
}
