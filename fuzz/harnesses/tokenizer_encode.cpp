// Encoding arbitrary text: the input is the text, given to every seed tokenizer of the repository
// (a byte-level BPE and a SentencePiece-style BPE tokenizer.json, and SentencePiece models).
#include <memory>
#include <vector>

#include "harness.h"
#include "tokenizer_use.h"

namespace {

std::vector<std::unique_ptr<ascent::tokenizer::Tokenizer>> load_all() {
  using namespace ascent::tokenizer;
  const std::string corpus = std::string(ASCENT_FUZZ_DIR) + "/corpus/";
  std::vector<std::unique_ptr<Tokenizer>> out;
  out.push_back(load_tokenizer("PretrainedFromHF", corpus + "tokenizer_json/byte_level_bpe.json"));
  out.push_back(load_tokenizer("PretrainedFromHF", corpus + "tokenizer_json/metaspace_bpe.json"));
  out.push_back(load_tokenizer("SentencePiece", corpus + "sentencepiece/bpe.model"));
  out.push_back(load_tokenizer("SentencePiece", corpus + "sentencepiece/unigram.model"));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  static const auto tokenizers = load_all();
  for (const auto& tok : tokenizers)
    fuzz::expect_errors([&] { fuzz::use_tokenizer(*tok, fuzz::as_text(data, size)); });
  return 0;
}
