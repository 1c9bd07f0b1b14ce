// --data-path mistakes name the files that exist and the flag that reads them.
#include "data/data_path_hints.h"

#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "data/instruction_dataset.h"
#include "data/instruction_test_util.h"

namespace ascent::data::testing {
namespace {

TEST(DataPathHints, PretrainingPrefixes) {
  TestDir dir;
  build(dir / "corpus_text_document", TokenType::I32, {{{1, 2, 3}}});
  EXPECT_FALSE(check_pretraining_prefix(dir / "corpus_text_document"));
  // preprocess's --output-prefix instead of the dataset prefix.
  expect_error([&] { check_pretraining_prefix(dir / "corpus"); },
               {"--data-path", "corpus.idx not found", "PREFIX_{key}_document",
                "--data-path " + (dir / "corpus_text_document")});
  expect_error([&] { check_pretraining_prefix(dir / "corpus_text_document.bin"); },
               {"without the extension", "--data-path " + (dir / "corpus_text_document")});
  expect_error([&] { check_pretraining_prefix(dir / "nothing"); },
               {"nothing.idx not found", "P_text_document"});
  // Instruction data.
  write_instruction_triple(dir / "sft", {{{1, 2, 3}, {-100, 2, 3}}});
  expect_error([&] { check_pretraining_prefix(dir / "sft"); },
               {"instruction data", "--is-instruction-dataset"});
  expect_error(
      [&] { check_pretraining_prefix(dir / "sft_packed_labels_document"); },
      {"labels of instruction data", "--data-path " + (dir / "sft"), "--is-instruction-dataset"});
  const auto warning = check_pretraining_prefix(dir / "sft_packed_input_ids_document");
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("plain text"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("--data-path " + (dir / "sft") + " --is-instruction-dataset"),
            std::string::npos)
      << *warning;
}

TEST(DataPathHints, InstructionPrefixes) {
  TestDir dir;
  build(dir / "corpus_text_document", TokenType::I32, {{{1, 2, 3}}});
  write_instruction_triple(dir / "sft", {{{1, 2, 3}, {-100, 2, 3}}});
  expect_error([&] { InstructionDataset(dir / "corpus"); },
               {"corpus_text_document is pretraining data", "drop --is-instruction-dataset",
                "GeneralInstructionHandler"});
  expect_error([&] { InstructionDataset(dir / "sft_packed_input_ids_document"); },
               {"--output-prefix", "give --data-path " + (dir / "sft")});
  EXPECT_EQ(InstructionDataset(dir / "sft").num_samples(), 1);
}

}  // namespace
}  // namespace ascent::data::testing
