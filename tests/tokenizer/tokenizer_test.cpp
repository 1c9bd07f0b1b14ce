// load_tokenizer: the factory behind --tokenizer-type / --tokenizer-name-or-path.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tokenizer/test_util.h"

namespace ascent::tokenizer {
namespace {

using ascent::testing::expect_error;
using ascent::testing::TestDir;

TEST(LoadTokenizer, FileOrDirectoryWithTokenizerModel) {
  const std::string model = ascent::testing::llama2_model();
  const auto by_file = load_tokenizer("SentencePiece", model);
  const auto by_dir =
      load_tokenizer("SentencePiece", std::filesystem::path(model).parent_path().string());
  const auto megatron_name = load_tokenizer("SentencePieceTokenizer", model);
  EXPECT_EQ(by_file->vocab_size(), 32000);
  EXPECT_EQ(by_dir->encode("Hello world"), by_file->encode("Hello world"));
  EXPECT_EQ(megatron_name->encode("Hello world"), by_file->encode("Hello world"));
}

TEST(LoadTokenizer, ErrorsNameThePath) {
  TestDir dir;
  expect_error([&] { load_tokenizer("SentencePiece", dir / "missing.model"); },
               {"[tokenizer]", "missing.model"});
  expect_error([&] { load_tokenizer("SentencePiece", dir.str()); },
               {"[tokenizer]", dir.str(), "tokenizer.model"});
  ascent::testing::write_text(dir / "garbage.model", "this is not a protobuf");
  expect_error([&] { load_tokenizer("SentencePiece", dir / "garbage.model"); },
               {"[tokenizer]", "garbage.model"});
  ascent::testing::write_text(dir / "empty.model", "");
  expect_error([&] { load_tokenizer("SentencePiece", dir / "empty.model"); },
               {"[tokenizer]", "empty.model"});
  expect_error([&] { load_tokenizer("GPT2BPETokenizer", ascent::testing::llama2_model()); },
               {"[tokenizer]", "GPT2BPETokenizer", "tokenizer.model"});
}

}  // namespace
}  // namespace ascent::tokenizer
