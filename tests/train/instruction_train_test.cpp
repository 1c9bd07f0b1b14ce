// Training on instruction data and on EOD-separated pretraining rows:
// - tokens per epoch of GSM8K in every layout (plain, --variable-seq-lengths, --pack);
// - the loss of a whole epoch does not depend on the layout (same weights): packing changes the
//   work, not the result;
// - resume is bit-identical with --pack / --variable-seq-lengths and with the EOD flags, and a
//   checkpoint is refused by a run whose cursor would count other rows;
// - the flags are validated with messages naming them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/gpt_dataset.h"
#include "data/instruction_batches.h"
#include "instruction_test_util.h"
#include "support/test_dir.h"
#include "train/train_data.h"
#include "train_test_util.h"

namespace ascent {
namespace {

using data::EpochTokens;

data::InstructionBatches layout(const std::shared_ptr<const data::InstructionSplit>& split,
                                int64_t T, int64_t B, int mode) {
  data::InstructionBatchOptions o;
  o.seq_length = T, o.micro_batch_size = B;
  o.variable_seq_lengths = mode == 1;
  o.pack = mode == 2;
  return data::InstructionBatches(split, o);
}

// The numbers of the report: tokens one epoch of the GSM8K training set costs per layout.
TEST(InstructionData, Gsm8kTokensPerEpoch) {
  const std::string dir = testing::scratch_dir("gsm8k_tokens");
  const testing::Gsm8kTriple g = testing::gsm8k_triple(dir, -1);
  ASSERT_EQ(g.lengths.size(), 7473u);
  auto ds = std::make_shared<const data::InstructionDataset>(g.prefix);
  std::vector<int64_t> all(g.lengths.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  auto split = std::make_shared<const data::InstructionSplit>(ds, all, 1234, 0);
  for (int64_t T : {512, 1024, 2048}) {
    EpochTokens e[3];
    for (int mode = 0; mode < 3; ++mode) e[mode] = layout(split, T, 4, mode).epoch_tokens(0);
    std::printf(
        "GSM8K train, T=%lld, B=4: %lld input tokens; plain %lld rows %lld tokens (%.1f%% "
        "padding); variable %lld tokens (%.1f%%); pack %lld rows %lld tokens (%.1f%%), %.2fx "
        "fewer than plain, %.2fx fewer than variable\n",
        static_cast<long long>(T), static_cast<long long>(e[0].real_tokens),
        static_cast<long long>(e[0].rows), static_cast<long long>(e[0].tokens),
        100 * e[0].padding(), static_cast<long long>(e[1].tokens), 100 * e[1].padding(),
        static_cast<long long>(e[2].rows), static_cast<long long>(e[2].tokens),
        100 * e[2].padding(), static_cast<double>(e[0].tokens) / static_cast<double>(e[2].tokens),
        static_cast<double>(e[1].tokens) / static_cast<double>(e[2].tokens));
    EXPECT_EQ(e[0].real_tokens, e[1].real_tokens);
    EXPECT_EQ(e[0].real_tokens, e[2].real_tokens);
    EXPECT_LT(e[2].tokens, e[1].tokens);
    EXPECT_LT(e[1].tokens, e[0].tokens);
    // Most samples are longer than half of 512 tokens: no packing fills those rows much better.
    EXPECT_LT(e[2].padding(), 0.065) << "first fit decreasing should fill rows of " << T;
  }
}

// Small instruction-model arguments (the LLaMA-2 tokenizer: vocab 32000).
TrainArgs gsm8k_args(const std::string& prefix) {
  TrainArgs a = testing::tiny_args(prefix);
  a.data.is_instruction_dataset = true;
  a.data.tokenizer_name_or_path = testing::llama2_tokenizer();
  a.model.num_layers = 2;
  a.model.hidden_size = 32;
  a.model.ffn_hidden_size = 64;
  a.data.seq_length = 512;
  a.data.split = "100,0,0";
  return a;
}

// One epoch, forward only with fixed weights: the summed loss and its token count are the same
// whether each sample has its own row (padded to T or to a multiple of 32) or rows are packed.
TEST(InstructionData, EpochLossDoesNotDependOnTheLayout) {
  const std::string dir = testing::scratch_dir("gsm8k_epoch_loss");
  const testing::Gsm8kTriple g = testing::gsm8k_triple(dir, 40);
  TrainArgs a = gsm8k_args(g.prefix);
  int64_t answer_tokens = 0;  // those left after truncation to T + 1 tokens
  for (size_t i = 0; i < g.lengths.size(); ++i)
    answer_tokens +=
        g.answer_tokens[i] - std::max<int64_t>(0, g.lengths[i] - (a.data.seq_length + 1));
  a.data.micro_batch_size = a.data.global_batch_size = 2;
  ModelWeights w(model_config_from_args(a, 32000), DType::F32);
  w.init_random(5);
  Transformer model(w);
  double sums[3];
  int64_t rows[3];
  for (int mode = 0; mode < 3; ++mode) {
    a.data.variable_seq_lengths = mode == 1;
    a.data.pack = mode == 2;
    TrainArgs f = a;
    f.finalize();
    TrainData d = build_train_data(f);
    const int64_t S = 40;
    LossSum total;
    data::Batch b;
    // Whole micro-batches of one epoch: every layout's epoch here is a multiple of B rows, or
    // the extra rows (next epoch) are cut off below.
    auto* src = dynamic_cast<data::InstructionBatches*>(d.train.get());
    ASSERT_NE(src, nullptr);
    const int64_t epoch_rows = src->epoch_tokens(0).rows;
    for (int64_t first = 0; first < epoch_rows; first += b.B) {
      src->rows(first, b);
      for (int64_t r = epoch_rows - first; r < b.B; ++r)
        std::fill_n(b.targets.begin() + r * b.T, b.T, kernels::kIgnoreIndex);
      MicroBatch mb{b.B, b.T, b.tokens.data(), b.targets.data(), b.positions_or_null()};
      mb.segment_ids = b.segments_or_null();
      const LossSum l = model.forward(mb);
      total.sum += l.sum;
      total.tokens += l.tokens;
    }
    rows[mode] = epoch_rows;
    EXPECT_EQ(total.tokens, answer_tokens) << "mode " << mode;
    sums[mode] = total.sum;
    if (mode < 2) {
      EXPECT_EQ(epoch_rows, S);
    }
  }
  EXPECT_LT(rows[2], rows[0]);
  EXPECT_NEAR(sums[1], sums[0], 1e-5 * sums[0]);
  EXPECT_NEAR(sums[2], sums[0], 1e-5 * sums[0]);
}

// Random instruction samples (no tokenizer: padding with id 0).
std::string random_instruction_data(const std::string& dir) {
  const std::string prefix = dir + "/instr";
  data::testing::write_instruction_triple(
      prefix, data::testing::random_instruction_samples(120, 4, 70, 512, 3));
  return prefix;
}

TEST(InstructionTrain, PackedResumeIsBitIdentical) {
  const std::string dir = testing::scratch_dir("instr_resume_pack");
  TrainArgs a = testing::tiny_args(random_instruction_data(dir));
  a.data.is_instruction_dataset = true;
  a.data.pack = true;
  a.data.variable_seq_lengths = true;
  a.data.seq_length = 96;
  a.finalize();
  testing::expect_resume_bit_identical(a, dir);
}

TEST(InstructionTrain, VariableLengthResumeIsBitIdenticalAndCountsPadding) {
  const std::string dir = testing::scratch_dir("instr_resume_var");
  TrainArgs a = testing::tiny_args(random_instruction_data(dir));
  a.data.is_instruction_dataset = true;
  a.data.variable_seq_lengths = true;
  a.data.seq_length = 96;
  a.finalize();
  testing::expect_resume_bit_identical(a, dir);
  a.run.train_iters = 3;
  Trainer t(a, model_config_from_args(a, 0));
  for (const IterationStats& s : t.run()) {
    EXPECT_GT(s.tokens, s.real_tokens);
    EXPECT_LE(s.tokens, a.data.global_batch_size * a.data.seq_length);
    EXPECT_EQ(s.tokens % 32, 0);
    EXPECT_GT(s.loss_tokens, 0);
    EXPECT_LT(s.loss_tokens, s.real_tokens);  // the prompts carry no loss
  }
}

// Pretraining documents that end with EOS (2 in the LLaMA-2 tokenizer).
std::string eod_dataset(const std::string& dir) {
  const std::string prefix = dir + "/eod_text_document";
  data::IndexedDatasetBuilder b(prefix, data::TokenType::U16);
  Rng r(4, 1);
  uint64_t k = 0;
  for (int d = 0; d < 150; ++d) {
    std::vector<int32_t> t(5 + static_cast<size_t>(r.uniform(k++) * 20));
    for (auto& x : t) x = 3 + static_cast<int32_t>(r.uniform(k++) * 500);
    t.push_back(2);
    b.add_sequence(t);
    b.end_document();
  }
  b.finalize();
  return prefix;
}

TEST(EodTrain, ResetFlagsTrainAndResumeBitIdentical) {
  const std::string dir = testing::scratch_dir("eod_resume");
  TrainArgs a = testing::tiny_args(eod_dataset(dir));
  a.data.tokenizer_name_or_path = testing::llama2_tokenizer();
  a.model.vocab_size = 512;
  a.data.reset_position_ids = a.data.reset_attention_mask = a.data.eod_mask_loss = true;
  a.finalize();
  testing::expect_resume_bit_identical(a, dir);

  // Each flag changes the loss; --eod-mask-loss drops the EOD inputs from the loss.
  TrainArgs plain = a;
  plain.data.reset_position_ids = plain.data.reset_attention_mask = plain.data.eod_mask_loss =
      false;
  plain.run.train_iters = 2;
  const double base = Trainer(plain, model_config_from_args(plain, 0)).run()[0].loss;
  for (int flag = 0; flag < 3; ++flag) {
    TrainArgs f = plain;
    f.data.reset_position_ids = flag == 0, f.data.reset_attention_mask = flag == 1,
    f.data.eod_mask_loss = flag == 2;
    const IterationStats s = Trainer(f, model_config_from_args(f, 0)).run()[0];
    EXPECT_NE(s.loss, base) << "flag " << flag;
    if (flag == 2) {
      EXPECT_LT(s.loss_tokens, s.tokens);
    } else {
      EXPECT_EQ(s.loss_tokens, s.tokens);
    }
  }
}

TEST(InstructionTrain, CheckpointOfAnotherLayoutIsRefused) {
  const std::string dir = testing::scratch_dir("instr_refuse");
  TrainArgs a = testing::tiny_args(random_instruction_data(dir));
  a.data.is_instruction_dataset = true;
  a.data.pack = true;
  a.data.seq_length = 96;
  a.run.train_iters = 2;
  a.run.save = dir + "/ckpt";
  a.finalize();
  { Trainer(a, model_config_from_args(a, 0)).run(); }
  TrainArgs b = a;
  b.run.save.clear();
  b.run.load = dir + "/ckpt";
  b.run.train_iters = 4;
  b.data.pack = false;
  testing::expect_error([&] { Trainer t(b, open_checkpoint(b.run.load).config); },
                        {"--load", "--pack", "--finetune"});
  b.data.pack = true;
  b.data.seq_length = 64;
  testing::expect_error([&] { Trainer t(b, open_checkpoint(b.run.load).config); },
                        {"--seq-length"});
  b.run.finetune = true;  // weights only: allowed
  Trainer t(b, open_checkpoint(b.run.load).config);
  EXPECT_EQ(t.iteration(), 0);
}

TEST(InstructionTrain, FlagsAreValidated) {
  TrainArgs a = testing::tiny_args("prefix");
  a.data.pack = true;
  testing::expect_error(
      [&] {
        TrainArgs b = a;
        b.finalize();
      },
      {"--pack", "--is-instruction-dataset"});
  a.data.pack = false;
  a.data.is_instruction_dataset = true;
  a.data.reset_attention_mask = true;
  testing::expect_error(
      [&] {
        TrainArgs b = a;
        b.finalize();
      },
      {"--reset-attention-mask", "--is-instruction-dataset"});

  const std::string dir = testing::scratch_dir("instr_flags");
  TrainArgs p = testing::tiny_args(eod_dataset(dir));
  p.data.eod_mask_loss = true;
  p.finalize();
  testing::expect_error([&] { build_train_data(p); },
                        {"--eod-mask-loss", "--tokenizer-name-or-path"});
  TrainArgs i = testing::tiny_args(random_instruction_data(dir));
  i.data.is_instruction_dataset = true;
  i.data.data_path.push_back(i.data.data_path[0]);
  i.finalize();
  testing::expect_error([&] { build_train_data(i); },
                        {"--is-instruction-dataset", "one --data-path"});
  i.data.data_path = {dir + "/eod_text_document"};
  testing::expect_error([&] { build_train_data(i); },
                        {"eod_text_document_packed_input_ids_document.idx", "--output-prefix"});
}

}  // namespace
}  // namespace ascent
