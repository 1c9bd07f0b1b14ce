// Every token a sample reads, inputs and targets, is checked against the model's vocabulary
// before use: a hand-made .bin/.idx whose last target token is out of range gives a named error
// (file, document or sample, position, id), not an abort inside the loss kernel.
#include "data/token_check.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "data/data_test_util.h"
#include "data/gpt_dataset.h"
#include "data/instruction_batches.h"
#include "data/instruction_test_util.h"

namespace ascent::data::testing {
namespace {

TEST(TokenCheck, LastTargetOfAPretrainingSampleOutOfRange) {
  TestDir dir;
  const std::string prefix = dir / "corpus_text_document";
  // 8 tokens: one window of T = 7; token 9 is only ever a target (the last position).
  build(prefix, TokenType::I32, {{{1, 2, 3, 4}}, {{5, 6, 7, 9}}});
  auto ds = std::make_shared<const IndexedDataset>(prefix);
  const std::vector<int64_t> docs = {0, 1};
  std::vector<int32_t> out(8);
  // The document order inside the epoch is shuffled; the bad token is at position 3 of doc 1.
  GptDataset unchecked(ds, docs, 7, 1234, 0);
  unchecked.sample(0, out.data());  // no vocabulary given: nothing checked
  GptDataset fits(ds, docs, 7, 1234, 0, 10);
  fits.sample(0, out.data());
  GptDataset small(ds, docs, 7, 1234, 0, 9);
  try {
    small.sample(0, out.data());
    ADD_FAILURE() << "no error for token 9 with a vocabulary of 9";
  } catch (const TokenOutOfRange& e) {
    EXPECT_EQ(e.file(), prefix + ".bin");
    EXPECT_EQ(e.item(), 1);
    EXPECT_EQ(e.position(), 3);
    EXPECT_EQ(e.token(), 9);
    const std::string msg = e.what();
    for (const char* part :
         {"[gpt_dataset]", "corpus_text_document.bin", "document 1", "token 3", "id 9", "[0, 9)"})
      EXPECT_NE(msg.find(part), std::string::npos) << part << " not in " << msg;
  }
}

TEST(TokenCheck, InstructionInputsAndLabelsPlainAndPacked) {
  TestDir dir;
  const std::string prefix = dir / "sft";
  // Sample 1's last label (a target) is 12; -100 labels are fine.
  write_instruction_triple(prefix,
                           {{{1, 2, 3, 4}, {-100, -100, 3, 4}}, {{5, 6, 7}, {-100, 6, 12}}});
  for (const bool pack : {false, true}) {
    auto ds = std::make_shared<const InstructionDataset>(prefix, 10);
    const std::vector<int64_t> all = {0, 1};
    auto split = std::make_shared<InstructionSplit>(ds, all, 7, 0);
    InstructionBatchOptions o;
    o.seq_length = 8;
    o.micro_batch_size = 2;
    o.pack = pack;
    InstructionBatches batches(split, o);
    Batch b;
    expect_error([&] { batches.rows(0, b); },
                 {"[instruction_dataset]", "sft_packed_labels_document.bin", "sample 1", "token 2",
                  "id 12", "-100"});
  }
  // Inputs too: id 10 is outside a vocabulary of 10.
  write_instruction_triple(prefix, {{{1, 10, 3}, {-100, 10, 3}}});
  const InstructionDataset ds(prefix, 10);
  std::vector<int32_t> ids(3), labels(3);
  expect_error([&] { ds.read(0, 3, ids.data(), labels.data()); },
               {"sft_packed_input_ids_document.bin", "sample 0", "token 1", "id 10"});
  const InstructionDataset unchecked(prefix);
  unchecked.read(0, 3, ids.data(), labels.data());
}

}  // namespace
}  // namespace ascent::data::testing
