#pragma once
// HF decoders: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, BPEDecoder and Sequence.
// Each rewrites the list of token strings (HF's decode_chain); the text is their concatenation.
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/hf/json_fields.h"

namespace ascent::tokenizer::hf {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites `tokens` in place. Thread-safe.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// The decoder described by `j` (tokenizer.json "decoder"); nullptr for JSON null.
// Throws ascent::Error naming `at` for an unknown "type" or a bad field.
std::unique_ptr<Decoder> make_decoder(const Json& j, const JsonPath& at);

// HF's Tokenizer::decode after the ids became token strings: the decoder's chain joined, or the
// tokens joined with spaces when there is no decoder.
std::string decode_tokens(const Decoder* decoder, std::vector<std::string> tokens);

}  // namespace ascent::tokenizer::hf
