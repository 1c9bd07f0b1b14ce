#pragma once
// Tokenizer over libsentencepiece's SentencePieceProcessor (LLaMA, Baichuan, InternLM models).
#include <memory>
#include <string>

#include "tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace ascent::tokenizer {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Loads a .model file; throws ascent::Error "[tokenizer] <file>: ..." when it cannot.
  explicit SentencePieceTokenizer(const std::string& model_file);
  ~SentencePieceTokenizer() override;

  std::vector<int32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const int32_t> ids) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  int32_t pad_id() const override { return pad_id_; }
  int32_t unk_id() const override { return unk_id_; }
  std::string id_to_piece(int32_t id) const override;

  const std::string& model_file() const { return model_file_; }

 private:
  void check_id(int32_t id) const;

  std::string model_file_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  int64_t vocab_size_ = 0;
  int32_t bos_id_ = -1, eos_id_ = -1, pad_id_ = -1, unk_id_ = -1;
};

}  // namespace ascent::tokenizer
