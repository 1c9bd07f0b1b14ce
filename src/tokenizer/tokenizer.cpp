#include "tokenizer/tokenizer.h"

#include <filesystem>

#include "core/error.h"
#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace ascent::tokenizer {
namespace {

// A .model file as given, or DIR/tokenizer.model (HF model directories ship it under that name).
std::string sentencepiece_model_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path file = fs::path(path) / "tokenizer.model";
    if (!fs::is_regular_file(file, ec))
      throw error("[tokenizer] ", path, ": directory has no tokenizer.model");
    return file.string();
  }
  if (!fs::exists(path, ec))
    throw error("[tokenizer] ", path, ": no such file or directory (--tokenizer-name-or-path)");
  return path;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& type, const std::string& path) {
  if (type == "SentencePiece" || type == "SentencePieceTokenizer")
    return std::make_unique<SentencePieceTokenizer>(sentencepiece_model_file(path));
  if (type == "PretrainedFromHF" || type == "GPT2BPETokenizer")
    return hf::load_hf_tokenizer(type, path);
  throw error("[tokenizer] ", path, ": unsupported --tokenizer-type '", type,
              "' (supported: SentencePiece, PretrainedFromHF, GPT2BPETokenizer)");
}

std::unique_ptr<Tokenizer> load_gpt2_bpe_files(const std::string& vocab_file,
                                               const std::string& merge_file) {
  return hf::load_gpt2_files(vocab_file, merge_file);
}

}  // namespace ascent::tokenizer
