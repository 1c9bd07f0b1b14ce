#pragma once
// The tokenizer seam: everything above (preprocess, train, generate, serve) sees only this
// interface, so an HF tokenizer.json implementation can sit next to SentencePiece later.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ascent::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text`, with no BOS/EOS added (callers add them). Thread-safe.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  // Text of `ids`; control tokens (BOS/EOS/PAD) decode to nothing. Throws ascent::Error
  // "[tokenizer] ..." for an id outside [0, vocab_size()).
  virtual std::string decode(std::span<const int32_t> ids) const = 0;

  virtual int64_t vocab_size() const = 0;
  // Special ids; -1 when the vocabulary has no such token.
  virtual int32_t bos_id() const = 0;
  virtual int32_t eos_id() const = 0;
  virtual int32_t pad_id() const = 0;
  virtual int32_t unk_id() const = 0;
  // The vocabulary entry of `id` as stored (SentencePiece: "▁the", "<0x0A>"); throws when out of
  // range.
  virtual std::string id_to_piece(int32_t id) const = 0;
};

// Loads a tokenizer by Megatron's --tokenizer-type / --tokenizer-name-or-path.
// type "SentencePiece" (or Megatron's "SentencePieceTokenizer"): path is a .model file or a
// directory holding tokenizer.model. Throws ascent::Error "[tokenizer] <path>: ..." for an unknown
// type or a missing/unreadable file.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& type, const std::string& path);

}  // namespace ascent::tokenizer
