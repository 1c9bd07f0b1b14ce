// SentencePiece .model files (tokenizer/sentencepiece_tokenizer.h): the input is the file.
#include "harness.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer_use.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const std::string path = fuzz::scratch_path("tokenizer.model");
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::expect_errors([&] {
    const tokenizer::SentencePieceTokenizer tok(path);
    fuzz::use_tokenizer(
        tok, "First Citizen:\nBefore we proceed, hear me speak. \xe4\xbd\xa0\xe5\xa5\xbd 1234");
  });
  return 0;
}
