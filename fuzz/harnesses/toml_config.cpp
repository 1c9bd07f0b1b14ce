// `--config FILE` (cli/config_file.h, TOML): the input is the file.
#include <vector>

#include "cli/config_file.h"
#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("run.toml");
  fuzz::write_file(path, fuzz::as_text(data, size));
  std::vector<std::string> args = {"ascent", "train", "--config", path, "--lr", "1e-4"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  fuzz::expect_errors(
      [&] { (void)cli::expand_config_files(static_cast<int>(argv.size()), argv.data()); });
  return 0;
}
