#pragma once
// How `ascent preprocess` calls the tokenizer, per --tokenizer-type, matching what AscendSpeed's
// Python does with each:
//   PretrainedFromHF   documents and prompts go through the HF tokenizer's __call__ /
//                      encode(), which add the tokenizer's special tokens (LLaMA: BOS; GPT-2 /
//                      Qwen: none): Tokenizer::encode_with_special_tokens.
//   GPT2BPETokenizer   Megatron's own BPE: tokenize() adds nothing: Tokenizer::encode.
//   SentencePiece      Megatron's SentencePiece tokenizer: tokenize() adds nothing:
//                      Tokenizer::encode.
// EOD (--append-eod) is the tokenizer's EOS id in every case (Megatron's tokenizer.eod).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace ascent::preprocess {

class TextEncoder {
 public:
  // Keeps a reference to `tok` (must outlive this). Thread-safe after construction.
  TextEncoder(const tokenizer::Tokenizer& tok, const std::string& tokenizer_type);

  // A whole text the way AscendSpeed tokenizes documents and prompts (see above).
  std::vector<int32_t> document(std::string_view text) const;
  // A piece of a longer sample (chat-template segments): no special tokens added.
  std::vector<int32_t> plain(std::string_view text) const { return tok_.encode(text); }
  // The ids document() puts before the text's own tokens (LLaMA's BOS for PretrainedFromHF;
  // empty otherwise): chat-template samples start with them.
  const std::vector<int32_t>& prefix() const { return prefix_; }

  int32_t eod() const { return tok_.eos_id(); }
  int32_t bos() const { return tok_.bos_id(); }
  const tokenizer::Tokenizer& tokenizer() const { return tok_; }

 private:
  const tokenizer::Tokenizer& tok_;
  bool with_special_tokens_ = false;
  std::vector<int32_t> prefix_;
};

}  // namespace ascent::preprocess
