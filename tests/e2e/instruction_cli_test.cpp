// Instruction fine-tuning end to end on GSM8K (the acceptance test): `ascent preprocess`
// turns 128 problems into the instruction triple (GeneralInstructionHandler, question and answer
// through --map-keys, LLaMA-2 SentencePiece), then `ascent train --is-instruction-dataset` runs one
// epoch of them with one sample per row padded to --seq-length, with --variable-seq-lengths, and
// with --pack. In every layout the loss falls and is computed on exactly the answer tokens (the
// prompt is masked) and on the same input tokens; --pack processes the fewest tokens,
// --variable-seq-lengths fewer than plain padding.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "../train/instruction_test_util.h"
#include "../train/train_test_util.h"
#include "data/instruction_batches.h"
#include "data/instruction_dataset.h"
#include "tokenizer/tokenizer.h"

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

// Output of a shell command, stderr included; *rc = its exit status.
std::string run_command(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  *rc = pclose(p);
  return out;
}

struct Gsm8k {
  std::string prefix;                  // --data-path of the triple
  std::vector<int64_t> lengths;        // tokens per sample
  std::vector<int64_t> answer_tokens;  // tokens per sample whose label is not -100
};

// The first n GSM8K training problems through `ascent preprocess` into {dir}/gsm8k_packed_*.
// Checks each sample: labels are -100 on a prefix (the prompt) and equal to the ids after it,
// and the unmasked tokens are the answer, a newline and EOS.
void preprocess_gsm8k(const std::string& dir, int64_t n, Gsm8k* g) {
  std::ifstream in(testing::shared_data_file("gsm8k/train.jsonl"));
  ASSERT_TRUE(in.good()) << "no GSM8K in shared/data";
  const std::string input = dir + "/gsm8k_train.jsonl";
  std::ofstream out(input);
  std::vector<std::string> answers;
  std::string line;
  while (static_cast<int64_t>(answers.size()) < n && std::getline(in, line)) {
    answers.push_back(nlohmann::json::parse(line).at("answer").get<std::string>());
    out << line << "\n";
  }
  out.close();
  ASSERT_EQ(static_cast<int64_t>(answers.size()), n);

  g->prefix = dir + "/gsm8k";
  int rc = 0;
  const std::string log = run_command(
      std::string(ASCENT_BINARY_DIR) + "/ascent preprocess --input " + input +
          " --handler-name GeneralInstructionHandler"
          " --map-keys '{\"instruction\":\"question\",\"output\":\"answer\"}'"
          " --tokenizer-type SentencePiece --tokenizer-name-or-path " +
          testing::llama2_tokenizer() + " --append-eod --workers 2 --output-prefix " + g->prefix,
      &rc);
  ASSERT_EQ(rc, 0) << log;

  const auto tok = tokenizer::load_tokenizer("SentencePiece", testing::llama2_tokenizer());
  const data::InstructionDataset ds(g->prefix);
  ASSERT_EQ(ds.num_samples(), n) << log;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = ds.length(i);
    std::vector<int32_t> ids(static_cast<size_t>(len)), labels(ids.size());
    ds.read(i, len, ids.data(), labels.data());
    const auto first =
        std::find_if(labels.begin(), labels.end(), [](int32_t l) { return l != -100; });
    const auto k = static_cast<size_t>(first - labels.begin());
    ASSERT_GT(k, 0u) << "sample " << i << ": no prompt is masked";
    ASSERT_LT(k + 1, ids.size()) << "sample " << i << ": no answer is trained";
    EXPECT_TRUE(std::equal(labels.begin() + k, labels.end(), ids.begin() + k))
        << "sample " << i << ": a label after the prompt differs from its token";
    EXPECT_EQ(ids.back(), tok->eos_id()) << "sample " << i;
    EXPECT_EQ(tok->decode(std::span<const int32_t>(ids).subspan(k, ids.size() - k - 1)),
              answers[static_cast<size_t>(i)] + "\n")
        << "sample " << i << ": the trained tokens are not the answer";
    g->lengths.push_back(len);
    g->answer_tokens.push_back(len - static_cast<int64_t>(k));
  }
}

TrainRun train(const std::string& dir, const std::string& name, const std::string& args) {
  const std::string metrics = dir + "/" + name + ".jsonl";
  TrainRun r;
  r.out = run_command(
      std::string(ASCENT_BINARY_DIR) + "/ascent train " + args + " --metrics-file " + metrics,
      &r.rc);
  std::ifstream in(metrics);
  std::string line;
  while (std::getline(in, line)) r.metrics.push_back(nlohmann::json::parse(line));
  return r;
}

TEST(InstructionCli, Gsm8kPlainVariableAndPacked) {
  const std::string dir = testing::scratch_dir("e2e_gsm8k");
  const int64_t S = 128, T = 512;
  Gsm8k g;
  ASSERT_NO_FATAL_FAILURE(preprocess_gsm8k(dir, S, &g));
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
