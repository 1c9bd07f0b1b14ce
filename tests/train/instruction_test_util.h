#pragma once
// GSM8K as an instruction triple, written the way preprocess's GeneralInstructionHandler writes
// it (DESIGN.md section 6): the Alpaca prompt with the question as instruction and no input, the
// worked answer as output, then EOS; labels are -100 on the prompt. Tokenised with the LLaMA-2
// SentencePiece model of shared/data.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../data/instruction_test_util.h"
#include "tokenizer/tokenizer.h"

namespace ascent::testing {

inline std::string shared_data_file(const std::string& rel) {
  return std::string(ASCENT_SOURCE_DIR) + "/../shared/data/" + rel;
}
inline std::string llama2_tokenizer() {
  return shared_data_file("tokenizers/llama2/tokenizer.model");
}

struct Gsm8kTriple {
  std::string prefix;
  std::vector<int64_t> lengths;        // tokens per sample
  std::vector<int64_t> answer_tokens;  // tokens per sample that carry a loss (labels[1:] != -100)
  int32_t eos = -1;
};

// The first n GSM8K training problems (all of them when n < 0) as {dir}/gsm8k_packed_*_document.
inline Gsm8kTriple gsm8k_triple(const std::string& dir, int64_t n) {
  static const std::string kSystem =
      "Below is an instruction that describes a task, paired with an input that provides further "
      "context. Write a response that appropriately completes the request. Please note that you "
      "need to think through your response logically and step by step.";
  const auto tok = tokenizer::load_tokenizer("SentencePiece", llama2_tokenizer());
  std::ifstream in(shared_data_file("gsm8k/train.jsonl"));
  EXPECT_TRUE(in.good()) << "no GSM8K in shared/data";
  Gsm8kTriple g;
  g.prefix = dir + "/gsm8k";
  g.eos = tok->eos_id();
  std::vector<data::testing::InstructionSample> samples;
  std::string line;
  while ((n < 0 || static_cast<int64_t>(samples.size()) < n) && std::getline(in, line)) {
    const nlohmann::json r = nlohmann::json::parse(line);
    const std::string prompt = "\n" + kSystem + "\n" + "### Instruction:\n" +
                               r.at("question").get<std::string>() + "\n" + "" + "\n" +
                               "### Response:\n";
    const std::string output = r.at("answer").get<std::string>() + "\n";
    data::testing::InstructionSample s;
    s.ids = tok->encode(prompt);
    s.labels.assign(s.ids.size(), -100);
    std::vector<int32_t> answer = tok->encode(output);
    answer.push_back(g.eos);
    s.ids.insert(s.ids.end(), answer.begin(), answer.end());
    s.labels.insert(s.labels.end(), answer.begin(), answer.end());
    g.lengths.push_back(static_cast<int64_t>(s.ids.size()));
    g.answer_tokens.push_back(static_cast<int64_t>(answer.size()));
    samples.push_back(std::move(s));
  }
  data::testing::write_instruction_triple(g.prefix, samples);
  return g;
}

}  // namespace ascent::testing
