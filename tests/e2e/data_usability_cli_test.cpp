// The data issues end to end through the `ascent` binary: preprocessing that writes nothing
// fails and names the record's keys; --data-path mistakes get hints naming the files; instruction
// samples cut by --seq-length are counted and a run with no label left is refused; a token out of
// the vocabulary in a sample's last target is a named error, not an abort; convert --to-hf writes
// a complete HF directory; generate says when it stops at the position limit.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../data/instruction_test_util.h"
#include "../train/instruction_test_util.h"
#include "../train/train_test_util.h"
#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/hf_config.h"
#include "data/indexed_dataset.h"
#include "model/weights.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int rc = 0;  // exit status; -1 when killed by a signal (an abort)
  std::string out;
  bool has(const std::string& s) const { return out.find(s) != std::string::npos; }
};

CliResult ascent(const std::string& args) {
  CliResult r;
  FILE* p = popen((std::string(ASCENT_BINARY_DIR) + "/ascent " + args + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The first n GSM8K problems as JSON lines.
std::string gsm8k_lines(const std::string& dir, int n) {
  std::ifstream in(testing::shared_data_file("gsm8k/train.jsonl"));
  const std::string path = dir + "/gsm.jsonl";
  std::ofstream out(path);
  std::string line;
  for (int i = 0; i < n && std::getline(in, line); ++i) out << line << "\n";
  return path;
}

const std::string kTokenizer = "--tokenizer-type SentencePiece --tokenizer-name-or-path ";
const std::string kMapKeys = " --map-keys '{\"instruction\":\"question\",\"output\":\"answer\"}'";
// A very small LLaMA for runs of one or two iterations.
const std::string kTiny =
    " --model tiny-gqa --num-layers 1 --hidden-size 32 --ffn-hidden-size 64 --micro-batch-size 2 "
    "--lr 0.001 --eval-iters 0 --log-interval 1 ";

TEST(DataCli, PreprocessThatWritesNothingFails) {
  const std::string dir = testing::scratch_dir("e2e_data_empty");
  const std::string tok = kTokenizer + testing::llama2_tokenizer();
  CliResult r = ascent("preprocess --input " + gsm8k_lines(dir, 10) +
                       " --handler-name GeneralInstructionHandler " + tok + " --output-prefix " +
                       dir + "/gsm");
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("nothing to write")) << r.out;
  EXPECT_TRUE(r.has("the record has keys 'answer', 'question'")) << r.out;
  EXPECT_TRUE(r.has("--map-keys")) << r.out;
  EXPECT_FALSE(fs::exists(dir + "/gsm_packed_input_ids_document.idx"));
  std::ofstream(dir + "/empty.jsonl").close();
  r = ascent("preprocess --input " + dir + "/empty.jsonl " + tok + " --output-prefix " + dir +
             "/e");
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("holds no records")) << r.out;
}

TEST(DataCli, DataPathHintsAndInstructionSamplesThatDoNotFit) {
  const std::string dir = testing::scratch_dir("e2e_data_fit");
  const std::string tok = kTokenizer + testing::llama2_tokenizer();
  const std::string input = gsm8k_lines(dir, 40);
  CliResult p = ascent("preprocess --input " + input + " --workers 2 " + tok + " --output-prefix " +
                       dir + "/corpus --json-keys question");
  ASSERT_EQ(p.rc, 0) << p.out;
  p = ascent("preprocess --input " + input + " --handler-name GeneralInstructionHandler" +
             kMapKeys + " --append-eod --workers 2 " + tok + " --output-prefix " + dir + "/gsm");
  ASSERT_EQ(p.rc, 0) << p.out;
  const std::string train = "train" + kTiny + tok + " --train-iters 1 --split 100,0,0 ";

  // preprocess's --output-prefix given to a pretraining run.
  CliResult r = ascent(train + "--seq-length 32 --data-path " + dir + "/corpus");
  EXPECT_NE(r.rc, 0);
  EXPECT_TRUE(r.has("--data-path " + dir + "/corpus_question_document")) << r.out;
  r = ascent(train + "--seq-length 32 --data-path " + dir + "/gsm");
  EXPECT_NE(r.rc, 0);
  EXPECT_TRUE(r.has("add --is-instruction-dataset")) << r.out;
  r = ascent(train + "--seq-length 32 --data-path " + dir + "/gsm_packed_input_ids_document");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("plain text")) << r.out;
  EXPECT_TRUE(r.has("--data-path " + dir + "/gsm --is-instruction-dataset")) << r.out;

  // At 32 tokens every GSM8K answer is cut away: refused, not "loss 0.0000".
  const std::string sft = train + "--is-instruction-dataset --data-path " + dir + "/gsm ";
  r = ascent(sft + "--seq-length 32");
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("no training sample of " + dir + "/gsm keeps a label token")) << r.out;
  EXPECT_FALSE(r.has("loss 0.0000")) << r.out;
  // At 256 tokens some are cut (about half of GSM8K): counted.
  r = ascent(sft + "--seq-length 256");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("are longer than --seq-length 256 + 1 tokens")) << r.out;
  EXPECT_TRUE(r.has("lose part of their answer")) << r.out;
  r = ascent(sft + "--seq-length 256 --long-samples error");
  EXPECT_NE(r.rc, 0);
  EXPECT_TRUE(r.has("--long-samples error")) << r.out;
  r = ascent(sft + "--seq-length 256 --long-samples drop --save " + dir + "/ckpt");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("left out (--long-samples drop)")) << r.out;
  // Dropping changes the split, so the data cursor of that checkpoint means other samples.
  r = ascent(sft + "--seq-length 256 --train-iters 2 --load " + dir + "/ckpt");
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("the checkpoint was trained with --long-samples \"drop\"")) << r.out;
}

// Hand-made data whose only out-of-range token is the last target of the only sample.
TEST(DataCli, OutOfRangeLastTargetIsANamedError) {
  const std::string dir = testing::scratch_dir("e2e_data_range");
  const std::string prefix = dir + "/bad_text_document";
  {
    data::IndexedDatasetBuilder b(prefix, data::TokenType::I32);
    std::vector<int32_t> doc(33);
    for (size_t i = 0; i < doc.size(); ++i) doc[i] = static_cast<int32_t>(i % 64);
    doc.back() = 512;  // tiny-gqa's vocabulary is [0, 512)
    b.add_sequence(doc);
    b.end_document();
    b.finalize();
  }
  const std::string train = "train" + kTiny + " --micro-batch-size 1 --train-iters 1 " +
                            "--split 100,0,0 --seq-length 32 --data-path ";
  CliResult r = ascent(train + prefix);
  EXPECT_EQ(r.rc, 1) << r.out;  // an error exit, not an abort
  for (const char* part :
       {"[gpt_dataset]", "bad_text_document.bin", "document 0", "token 32", "id 512", "[0, 512)"})
    EXPECT_TRUE(r.has(part)) << part << " not in " << r.out;
  EXPECT_FALSE(r.has("cross_entropy")) << r.out;

  // The same in instruction data: the last label of the sample.
  std::vector<int32_t> ids(20, 7), labels(20, -100);
  for (size_t i = 10; i < 20; ++i) labels[i] = 7;
  labels.back() = 600;
  data::testing::write_instruction_triple(dir + "/sft", {{ids, labels}});
  r = ascent(train + dir + "/sft --is-instruction-dataset");
  EXPECT_EQ(r.rc, 1) << r.out;
  for (const char* part : {"[instruction_dataset]", "sft_packed_labels_document.bin", "sample 0",
                           "token 19", "id 600"})
    EXPECT_TRUE(r.has(part)) << part << " not in " << r.out;
}

TEST(DataCli, ConvertWritesACompleteHfDirectoryAndGenerateNamesThePositionLimit) {
  const std::string dir = testing::scratch_dir("e2e_data_convert");
  const std::string tok = kTokenizer + testing::llama2_tokenizer();
  const std::string input = gsm8k_lines(dir, 20);
  CliResult r = ascent("preprocess --input " + input + " " + tok + " --json-keys question " +
                       "--output-prefix " + dir + "/c");
  ASSERT_EQ(r.rc, 0) << r.out;
  r = ascent("train" + kTiny + tok + " --bf16 --train-iters 1 --split 100,0,0 --seq-length 16 " +
             "--max-position-embeddings 24 --data-path " + dir + "/c_question_document --save " +
             dir + "/ckpt");
  ASSERT_EQ(r.rc, 0) << r.out;

  r = ascent("convert --load " + dir + "/ckpt --save " + dir + "/hf --to-hf");
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto json_of = [&](const std::string& f) {
    return nlohmann::json::parse(std::ifstream(dir + "/hf/" + f));
  };
  const nlohmann::json cfg = json_of("config.json"), gen = json_of("generation_config.json");
  EXPECT_EQ(cfg["torch_dtype"], "bfloat16");  // the run's --bf16
  EXPECT_EQ(cfg["bos_token_id"], 1);          // LLaMA-2's <s> and </s>
  EXPECT_EQ(cfg["eos_token_id"], 2);
  EXPECT_EQ(gen["bos_token_id"], 1);
  EXPECT_EQ(gen["eos_token_id"], 2);
  EXPECT_TRUE(fs::exists(dir + "/hf/tokenizer.model"));
  const nlohmann::json tc = json_of("tokenizer_config.json");
  EXPECT_EQ(tc["eos_token"], "</s>");
  // Our HF loader reads it back, tokenizer included.
  const ModelConfig hf = read_hf_config(dir + "/hf");
  ModelWeights w(hf, DType::F32);
  load_hf_weights(dir + "/hf", hf, w.layout(), w.master());
  EXPECT_EQ(tokenizer::load_tokenizer("PretrainedFromHF", dir + "/hf")->eos_id(), 2);

  // A non-empty --save is refused unless --overwrite.
  r = ascent("convert --load " + dir + "/ckpt --save " + dir + "/hf --to-hf --dtype f32");
  EXPECT_NE(r.rc, 0);
  EXPECT_TRUE(r.has("not empty")) << r.out;
  EXPECT_TRUE(r.has("--overwrite")) << r.out;
  r = ascent("convert --load " + dir + "/ckpt --save " + dir + "/hf --to-hf --dtype f32 " +
             "--overwrite");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(json_of("config.json")["torch_dtype"], "float32");

  // 20 prompt tokens + at most 5 new ones fit 24 positions: the limit is named.
  r = ascent("generate --load " + dir + "/hf " + tok + " --max-new-tokens 50 --prompt " +
             "'one two three four five six seven eight nine ten eleven twelve'");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(r.has("stopped at the model's position limit")) << r.out;
  EXPECT_TRUE(r.has("max_position_embeddings 24")) << r.out;
}

}  // namespace
}  // namespace ascent
