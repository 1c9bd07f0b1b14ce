// preprocess reader of a .json input (a top-level array of records, or JSON lines): the input is
// the file.
#include "harness.h"
#include "read_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("input.json");
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::read_records(path);
  return 0;
}
