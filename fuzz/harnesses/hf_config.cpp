// HF config.json (checkpoint/hf_config.h): the input is the file. A config that reads is written
// back and read again (the export path sees the same hostile values).
#include "checkpoint/hf_config.h"

#include <filesystem>

#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string dir = fuzz::scratch_path("hf");
  static const bool made = std::filesystem::create_directories(dir) || true;
  (void)made;
  fuzz::write_file(dir + "/config.json", fuzz::as_text(data, size));
  fuzz::expect_errors([&] {
    const ModelConfig cfg = read_hf_config(dir);
    const std::string out = fuzz::scratch_path("hf_out");
    write_hf_config(out, cfg, DType::BF16);
    (void)read_hf_config(out);
  });
  return 0;
}
