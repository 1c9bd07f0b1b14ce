// `ascent train --is-instruction-dataset` end to end on GSM8K (the acceptance test): one
// epoch of 128 problems with one sample per row padded to --seq-length, with
// --variable-seq-lengths, and with --pack. In every layout the loss falls and is computed on
// exactly the answer tokens (the prompt is masked) and on the same input tokens; --pack
// processes the fewest tokens, --variable-seq-lengths fewer than plain padding.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../train/instruction_test_util.h"
#include "../train/train_test_util.h"
#include "data/instruction_batches.h"

namespace ascent {
namespace {

struct TrainRun {
  int rc = 0;
  std::string out;
  std::vector<nlohmann::json> metrics;  // one per iteration
  int64_t sum(const char* key) const {
    int64_t s = 0;
    for (const auto& m : metrics) s += m.at(key).get<int64_t>();
    return s;
  }
  double mean_loss(size_t first, size_t count) const {
    double s = 0;
    for (size_t i = first; i < first + count; ++i) s += metrics.at(i).at("loss").get<double>();
    return s / static_cast<double>(count);
  }
};

TrainRun train(const std::string& dir, const std::string& name, const std::string& args) {
  const std::string metrics = dir + "/" + name + ".jsonl";
  const std::string cmd = std::string(ASCENT_BINARY_DIR) + "/ascent train " + args +
                          " --metrics-file " + metrics + " 2>&1";
  TrainRun r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  r.rc = pclose(p);
  std::ifstream in(metrics);
  std::string line;
  while (std::getline(in, line)) r.metrics.push_back(nlohmann::json::parse(line));
  return r;
}

TEST(InstructionCli, Gsm8kPlainVariableAndPacked) {
  const std::string dir = testing::scratch_dir("e2e_gsm8k");
  const int64_t S = 128, T = 512;
  const testing::Gsm8kTriple g = testing::gsm8k_triple(dir, S);
  int64_t answer_tokens = 0, input_tokens = 0;
  for (size_t i = 0; i < g.lengths.size(); ++i) {  // one sample is cut to T + 1 tokens
    answer_tokens += g.answer_tokens[i] - std::max<int64_t>(0, g.lengths[i] - (T + 1));
    input_tokens += std::min(g.lengths[i] - 1, T);
  }
  // Rows of one packed epoch (the library's packing, same seed and split as the runs).
  auto ds = std::make_shared<const data::InstructionDataset>(g.prefix);
  std::vector<int64_t> all(S);
  for (int64_t i = 0; i < S; ++i) all[static_cast<size_t>(i)] = i;
  data::InstructionBatchOptions o;
  o.seq_length = T, o.micro_batch_size = 1, o.pack = true;
  const int64_t packed_rows =
      data::InstructionBatches(std::make_shared<data::InstructionSplit>(ds, all, 1234, 0), o)
          .epoch_tokens(0)
          .rows;

  const std::string common =
      "--model tiny-gqa --num-layers 2 --hidden-size 32 --ffn-hidden-size 64 "
      "--is-instruction-dataset --data-path " +
      g.prefix +
      " --split 100,0,0 "
      "--tokenizer-name-or-path " +
      testing::llama2_tokenizer() +
      " --seq-length 512 --lr 0.005 --lr-warmup-iters 2 --lr-decay-style constant "
      "--eval-iters 0 --log-interval 1 --seed 1234";
  // One epoch each: 16 global batches of 8 samples; the packed rows one at a time.
  const TrainRun plain =
      train(dir, "plain", common + " --micro-batch-size 4 --global-batch-size 8 --train-iters 16");
  const TrainRun variable = train(
      dir, "variable",
      common +
          " --micro-batch-size 4 --global-batch-size 8 --train-iters 16 --variable-seq-lengths");
  const TrainRun packed =
      train(dir, "packed",
            common + " --micro-batch-size 1 --global-batch-size 1 --train-iters " +
                std::to_string(packed_rows) + " --pack");

  for (const TrainRun* r : {&plain, &variable, &packed}) {
    ASSERT_EQ(r->rc, 0) << r->out;
    ASSERT_FALSE(r->metrics.empty()) << r->out;
    EXPECT_NE(r->out.find("padding"), std::string::npos) << r->out;
    EXPECT_NE(r->out.find("epoch 0:"), std::string::npos) << r->out;
    // The prompt is masked: the loss covers exactly the answer tokens, each once per epoch.
    EXPECT_EQ(r->sum("loss_tokens"), answer_tokens);
    EXPECT_EQ(r->sum("real_tokens"), input_tokens);
    // The loss falls.
    const size_t n = r->metrics.size();
    EXPECT_LT(r->mean_loss(n - 3, 3), r->mean_loss(0, 3) - 0.5) << r->out;
  }
  ASSERT_EQ(packed.metrics.size(), static_cast<size_t>(packed_rows));
  EXPECT_LT(packed_rows, S);
  EXPECT_EQ(plain.sum("tokens"), S * T);
  EXPECT_LT(variable.sum("tokens"), plain.sum("tokens"));
  EXPECT_LT(packed.sum("tokens"), variable.sum("tokens"));
  std::printf(
      "GSM8K, %lld samples, T=%lld: tokens per epoch plain %lld, variable %lld, packed %lld "
      "(%lld rows); %lld input tokens, %lld answer tokens\n",
      static_cast<long long>(S), static_cast<long long>(T),
      static_cast<long long>(plain.sum("tokens")), static_cast<long long>(variable.sum("tokens")),
      static_cast<long long>(packed.sum("tokens")), static_cast<long long>(packed_rows),
      static_cast<long long>(input_tokens), static_cast<long long>(answer_tokens));
}

}  // namespace
}  // namespace ascent
