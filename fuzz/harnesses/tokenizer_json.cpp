// HF tokenizer.json (tokenizer/hf/): the input is the file, loaded as --tokenizer-type
// PretrainedFromHF loads it; a tokenizer that loads encodes and decodes a fixed text.
#include <filesystem>

#include "harness.h"
#include "tokenizer_use.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("tokenizer.json");
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::expect_errors([&] {
    const auto tok = tokenizer::load_tokenizer("PretrainedFromHF", path);
    fuzz::use_tokenizer(*tok,
                        "First Citizen:\nBefore we proceed, hear me speak. "
                        "\xe4\xbd\xa0\xe5\xa5\xbd 1234 <|endoftext|> <s>  \t\r\n");
  });
  return 0;
}
