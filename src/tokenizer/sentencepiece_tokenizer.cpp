#include "tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <filesystem>

#include "core/error.h"

namespace ascent::tokenizer {

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_file)
    : model_file_(model_file), sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model_file, ec))
    throw error("[tokenizer] ", model_file, ": no such SentencePiece model file");
  const auto status = sp_->Load(model_file);
  if (!status.ok())
    throw error("[tokenizer] ", model_file, ": not a SentencePiece model (", status.ToString(),
                ")");
  vocab_size_ = sp_->GetPieceSize();
  bos_id_ = sp_->bos_id();
  eos_id_ = sp_->eos_id();
  pad_id_ = sp_->pad_id();
  unk_id_ = sp_->unk_id();
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  const auto status = sp_->Encode(text, &ids);
  if (!status.ok())
    throw error("[tokenizer] ", model_file_, ": encode failed (", status.ToString(), ")");
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string SentencePieceTokenizer::decode(std::span<const int32_t> ids) const {
  for (int32_t id : ids) check_id(id);
  std::string text;
  const auto status = sp_->Decode(std::vector<int>(ids.begin(), ids.end()), &text);
  if (!status.ok())
    throw error("[tokenizer] ", model_file_, ": decode failed (", status.ToString(), ")");
  return text;
}

std::string SentencePieceTokenizer::id_to_piece(int32_t id) const {
  check_id(id);
  return sp_->IdToPiece(id);
}

void SentencePieceTokenizer::check_id(int32_t id) const {
  if (id < 0 || id >= vocab_size_)
    throw error("[tokenizer] ", model_file_, ": token id ", id, " outside the vocabulary [0, ",
                vocab_size_, ")");
}

}  // namespace ascent::tokenizer
