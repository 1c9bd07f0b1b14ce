// DatasetWriter: nothing appears under the output names before commit(); an abandoned writer
// leaves nothing; the instruction triple has an attention mask of ones. limit_sequences.
#include "preprocess/dataset_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {
namespace {

namespace fs = std::filesystem;

size_t files_in(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

TEST(DatasetWriter, OutputNames) {
  EXPECT_EQ(output_prefixes("out/x", OutputKind::kPretrain, {"text", "title"}),
            (std::vector<std::string>{"out/x_text_document", "out/x_title_document"}));
  EXPECT_EQ(
      output_prefixes("x", OutputKind::kInstruction, {"input_ids", "attention_mask", "labels"}),
      (std::vector<std::string>{"x_packed_input_ids_document", "x_packed_attention_mask_document",
                                "x_packed_labels_document"}));
}

TEST(DatasetWriter, OutputsAppearOnlyAtCommit) {
  TestDir dir;
  const auto prefixes = output_prefixes(dir / "sub/p", OutputKind::kInstruction,
                                        {"input_ids", "attention_mask", "labels"});
  int64_t docs = 0, seqs = 0, tokens = 0;
  {
    DatasetWriter w(OutputKind::kInstruction, prefixes, data::TokenType::I32);
    HandledRecord r;
    r.samples.push_back({{5, 6, 7}, {kIgnoreLabel, 6, 7}});
    r.samples.push_back({{8}, {8}});
    w.write(r, &docs, &seqs, &tokens);
    EXPECT_FALSE(fs::exists(prefixes[0] + ".idx"));
  }  // abandoned: everything it wrote is gone
  EXPECT_EQ(files_in(dir / "sub"), 0u);

  DatasetWriter w(OutputKind::kInstruction, prefixes, data::TokenType::I32);
  HandledRecord r;
  r.samples.push_back({{5, 6, 7}, {kIgnoreLabel, 6, 7}});
  r.samples.push_back({{8}, {8}});
  docs = seqs = tokens = 0;
  w.write(r, &docs, &seqs, &tokens);
  w.write(HandledRecord{}, &docs, &seqs, &tokens);  // nothing: no document
  EXPECT_EQ(docs, 1);
  EXPECT_EQ(seqs, 2);
  EXPECT_EQ(tokens, 4);
  for (const auto& p : prefixes) EXPECT_FALSE(fs::exists(p + ".bin"));
  w.commit();
  EXPECT_EQ(files_in(dir / "sub"), 6u);
  const auto triple = read_triple(dir / "sub/p_packed");
  ASSERT_EQ(triple.size(), 1u);
  ASSERT_EQ(triple[0].size(), 2u);
  EXPECT_EQ(triple[0][0].labels, (std::vector<int32_t>{kIgnoreLabel, 6, 7}));
  EXPECT_EQ(triple[0][1].input_ids, (std::vector<int32_t>{8}));
}

TEST(DatasetWriter, PretrainKeysWithoutSequencesGetNoDocument) {
  TestDir dir;
  const auto prefixes = output_prefixes(dir / "p", OutputKind::kPretrain, {"a", "b"});
  DatasetWriter w(OutputKind::kPretrain, prefixes, data::TokenType::U16);
  int64_t docs = 0, seqs = 0, tokens = 0;
  HandledRecord r;
  r.docs = {{{1, 2}}, {}};
  w.write(r, &docs, &seqs, &tokens);
  r.docs = {{{3}}, {{4, 5, 6}}};
  w.write(r, &docs, &seqs, &tokens);
  w.commit();
  EXPECT_EQ(docs, 2);
  EXPECT_EQ(tokens, 6);
  EXPECT_EQ(read_documents(prefixes[0]), (Documents{{{1, 2}}, {{3}}}));
  EXPECT_EQ(read_documents(prefixes[1]), (Documents{{{4, 5, 6}}}));
}

TEST(DatasetWriter, LimitSequences) {
  HandledRecord r;
  r.docs = {{{1, 2, 3}, {4}}, {{5, 6}}};
  r.samples = {{{1, 2, 3}, {kIgnoreLabel, 2, 3}}, {{4, 5}, {kIgnoreLabel, 5}}};
  LengthLimitCounts counts;
  HandledRecord skip = r;
  limit_sequences(skip, 2, SeqLengthPolicy::kDrop, counts);  // 2 or more: out
  EXPECT_EQ(skip.docs, (Documents{{{4}}, {}}));
  EXPECT_TRUE(skip.samples.empty());
  EXPECT_EQ(counts.dropped, 4);
  HandledRecord cut = r;
  limit_sequences(cut, 2, SeqLengthPolicy::kTruncate, counts);
  EXPECT_EQ(cut.docs, (Documents{{{1, 2}, {4}}, {{5, 6}}}));
  EXPECT_EQ(cut.samples[0].labels, (std::vector<int32_t>{kIgnoreLabel, 2}));
  EXPECT_EQ(counts.truncated, 2);  // exactly 2 tokens is not cut
  HandledRecord none = r;
  limit_sequences(none, 0, SeqLengthPolicy::kDrop, counts);
  EXPECT_EQ(none.docs, r.docs);
  // keep (the default, AscendSpeed's script): nothing changes, longer sequences are counted.
  HandledRecord kept = r;
  limit_sequences(kept, 2, SeqLengthPolicy::kKeep, counts);
  EXPECT_EQ(kept.docs, r.docs);
  EXPECT_EQ(kept.samples.size(), 2u);
  EXPECT_EQ(counts.kept_long, 2);
  EXPECT_EQ(counts.dropped, 4);
  EXPECT_EQ(counts.truncated, 2);
}

}  // namespace
}  // namespace ascent::preprocess::testing
