// GPT-2's vocab.json + merges.txt (--tokenizer-type GPT2BPETokenizer). Input: split_two ->
// (vocab.json, merges.txt).
#include <filesystem>

#include "harness.h"
#include "tokenizer_use.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ascent;
  const auto [vocab, merges] = fuzz::split_two(data, size);
  const std::string dir = fuzz::scratch_path("gpt2");
  static const bool made = std::filesystem::create_directories(dir) || true;
  (void)made;
  fuzz::write_file(dir + "/vocab.json", vocab);
  fuzz::write_file(dir + "/merges.txt", merges);
  fuzz::expect_errors([&] {
    const auto tok = tokenizer::load_tokenizer("GPT2BPETokenizer", dir);
    fuzz::use_tokenizer(*tok,
                        "First Citizen:\nBefore we proceed, hear me speak. 1234 <|endoftext|>");
  });
  return 0;
}
