// preprocess reader of a .csv input (RFC 4180 with a header row): the input is the file.
#include "harness.h"
#include "read_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("input.csv");
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::read_records(path, {"text"});
  return 0;
}
