// preprocess reader of a .jsonl input (one JSON record per line): the input is the file.
#include "harness.h"
#include "read_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("input.jsonl");
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::read_records(path);
  return 0;
}
