// The instruction triple reader (structure checks naming the file) and its split: per-epoch
// shuffles that are permutations of the split, deterministic in the seed, independent of the
// order positions are asked for.
#include "data/instruction_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "data/gpt_dataset.h"
#include "data_test_util.h"
#include "instruction_test_util.h"

namespace ascent::data {
namespace {

using testing::InstructionSample;
using testing::TestDir;

TEST(InstructionDataset, ReadsSamplesBack) {
  TestDir dir;
  const auto samples = testing::random_instruction_samples(20, 1, 40, 100, 1);
  testing::write_instruction_triple(dir / "alpaca", samples);
  InstructionDataset ds(dir / "alpaca");
  ASSERT_EQ(ds.num_samples(), 20);
  for (int64_t i = 0; i < 20; ++i) {
    const auto& s = samples[static_cast<size_t>(i)];
    ASSERT_EQ(ds.length(i), static_cast<int64_t>(s.ids.size()));
    std::vector<int32_t> ids(s.ids.size()), labels(s.ids.size());
    ds.read(i, ds.length(i), ids.data(), labels.data());
    EXPECT_EQ(ids, s.ids);
    EXPECT_EQ(labels, s.labels);
  }
}

TEST(InstructionDataset, MissingPartNamesTheFileAndTheFlag) {
  TestDir dir;
  testing::write_instruction_triple(dir / "a", testing::random_instruction_samples(3, 5, 9, 50, 2));
  std::filesystem::remove(instruction_file_prefix(dir / "a", "labels") + ".idx");
  testing::expect_error([&] { InstructionDataset ds(dir / "a"); },
                        {"a_packed_labels_document.idx", "not found", "--output-prefix"});
  testing::expect_error([&] { InstructionDataset ds(dir / "nothing"); },
                        {"nothing_packed_input_ids_document.idx"});
}

TEST(InstructionDataset, DifferentStructureNamesTheFile) {
  TestDir dir;
  auto samples = testing::random_instruction_samples(4, 5, 9, 50, 3);
  testing::write_instruction_triple(dir / "a", samples);
  // Labels of another set of samples (a different sequence length) replace the real ones.
  samples[2].ids.push_back(7), samples[2].labels.push_back(7);
  testing::write_instruction_triple(dir / "b", samples);
  for (const char* ext : {".bin", ".idx"})
    std::filesystem::copy_file(instruction_file_prefix(dir / "b", "labels") + ext,
                               instruction_file_prefix(dir / "a", "labels") + ext,
                               std::filesystem::copy_options::overwrite_existing);
  testing::expect_error([&] { InstructionDataset ds(dir / "a"); },
                        {"a_packed_labels_document.idx", "sequence 2"});

  // One sample fewer in the attention mask.
  samples.pop_back();
  testing::write_instruction_triple(dir / "c", samples);
  testing::write_instruction_triple(dir / "d", testing::random_instruction_samples(4, 5, 9, 50, 3));
  for (const char* ext : {".bin", ".idx"})
    std::filesystem::copy_file(instruction_file_prefix(dir / "c", "attention_mask") + ext,
                               instruction_file_prefix(dir / "d", "attention_mask") + ext,
                               std::filesystem::copy_options::overwrite_existing);
  testing::expect_error([&] { InstructionDataset ds(dir / "d"); },
                        {"d_packed_attention_mask_document.idx", "3 sequences"});
}

TEST(InstructionDataset, UnsignedLabelsAreRejected) {
  TestDir dir;
  const std::string p = dir / "u";
  for (const char* key : {"input_ids", "attention_mask", "labels"}) {
    IndexedDatasetBuilder b(instruction_file_prefix(p, key), TokenType::U16);
    b.add_sequence(std::vector<int32_t>{1, 2, 3});
    b.end_document();
    b.finalize();
  }
  testing::expect_error([&] { InstructionDataset ds(p); }, {"u_packed_labels_document", "-100"});
}

TEST(InstructionSplit, EpochsArePermutationsOfTheSplit) {
  TestDir dir;
  testing::write_instruction_triple(dir / "a",
                                    testing::random_instruction_samples(50, 2, 9, 50, 4));
  auto ds = std::make_shared<const InstructionDataset>(dir / "a");
  const auto splits = split_documents(ds->num_samples(), "80,20,0");
  InstructionSplit train(ds, splits[0], 1234, 0);
  ASSERT_EQ(train.samples_per_epoch(), 40);
  const std::set<int64_t> members(splits[0].begin(), splits[0].end());
  std::vector<std::vector<int64_t>> orders;
  for (int64_t e = 0; e < 3; ++e) {
    std::vector<int64_t> o = *train.epoch_order(e);
    for (int64_t k = 0; k < 40; ++k) EXPECT_EQ(train.sample_at(e * 40 + k), o[k]);
    orders.push_back(o);
    std::sort(o.begin(), o.end());
    EXPECT_EQ(std::set<int64_t>(o.begin(), o.end()), members);
    EXPECT_EQ(o.size(), members.size());
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);

  // Same seed: same orders whatever is asked first; another seed or split: another order.
  InstructionSplit again(ds, splits[0], 1234, 0);
  EXPECT_EQ(again.sample_at(2 * 40 + 5), orders[2][5]);
  EXPECT_EQ(*again.epoch_order(0), orders[0]);
  EXPECT_NE(*InstructionSplit(ds, splits[0], 99, 0).epoch_order(0), orders[0]);
  EXPECT_NE(*InstructionSplit(ds, splits[0], 1234, 1).epoch_order(0), orders[0]);
}

TEST(InstructionSplit, EmptySplitNamesTheFlag) {
  TestDir dir;
  testing::write_instruction_triple(dir / "a", testing::random_instruction_samples(5, 2, 9, 50, 4));
  auto ds = std::make_shared<const InstructionDataset>(dir / "a");
  testing::expect_error([&] { InstructionSplit s(ds, std::vector<int64_t>{}, 1, 1); },
                        {"--split", "valid"});
  testing::expect_error([&] { InstructionSplit s(ds, std::vector<int64_t>{7}, 1, 0); },
                        {"sample 7 out of range"});
}

}  // namespace
}  // namespace ascent::data
