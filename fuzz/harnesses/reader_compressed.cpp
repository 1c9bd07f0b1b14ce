// preprocess inputs compressed with gzip or zstd: the input's first byte picks the codec (even:
// .jsonl.gz, odd: .jsonl.zst), the rest is the file.
#include "harness.h"
#include "read_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  if (size == 0) return 0;
  const std::string path = fuzz::scratch_path(data[0] % 2 ? "input.jsonl.zst" : "input.jsonl.gz");
  fuzz::write_file(path, fuzz::as_text(data + 1, size - 1));
  fuzz::read_records(path);
  return 0;
}
