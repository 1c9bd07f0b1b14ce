#pragma once
// Shared helpers of the preprocess tests: the LLaMA-2 SentencePiece tokenizer, options for a run,
// reading the written datasets back (ours and the Python from-the-spec reader), and the Python
// oracles (tests/oracle/preprocess_oracle.py, sentencepiece_oracle.py).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/indexed_dataset.h"
#include "preprocess/options.h"
#include "preprocess/sample.h"
#include "preprocess/text_encoder.h"
#include "support/test_dir.h"
#include "tokenizer/tokenizer.h"

namespace ascent::preprocess::testing {

using ascent::testing::expect_error;
using ascent::testing::read_text;
using ascent::testing::TestDir;
using ascent::testing::write_text;

// documents -> sequences -> tokens
using Documents = std::vector<std::vector<std::vector<int32_t>>>;

inline std::string shared_data(const std::string& rel) {
  return std::string(ASCENT_SOURCE_DIR) + "/../shared/data/" + rel;
}
inline std::string llama2_model() { return shared_data("tokenizers/llama2/tokenizer.model"); }
inline std::string oracle_dir() { return std::string(ASCENT_SOURCE_DIR) + "/tests/oracle/"; }

// The LLaMA-2 SentencePiece tokenizer, loaded once.
inline const tokenizer::Tokenizer& llama2() {
  static const std::unique_ptr<tokenizer::Tokenizer> tok =
      tokenizer::load_tokenizer("SentencePiece", llama2_model());
  return *tok;
}
inline const TextEncoder& llama2_encoder() {
  static const TextEncoder enc(llama2(), "SentencePiece");
  return enc;
}

// A run of `handler` on `input` writing under `prefix`, with the LLaMA-2 tokenizer, 2 workers.
inline PreprocessOptions options(const std::string& input, const std::string& prefix,
                                 const std::string& handler = "GeneralPretrainHandler") {
  PreprocessOptions o;
  o.input = input;
  o.tokenizer_path = llama2_model();
  o.output_prefix = prefix;
  o.handler_name = handler;
  o.workers = 2;
  return o;
}

// Every document of a dataset, read with our reader.
inline Documents read_documents(const std::string& prefix) {
  const data::IndexedDataset ds(prefix);
  Documents docs;
  const auto& doc_idx = ds.doc_idx();
  for (int64_t d = 0; d < ds.num_documents(); ++d) {
    auto& doc = docs.emplace_back();
    for (int64_t i = doc_idx[d]; i < doc_idx[d + 1]; ++i) {
      std::vector<int32_t> ids(static_cast<size_t>(ds.sequence_length(i)));
      ds.read(i, 0, ds.sequence_length(i), ids.data());
      doc.push_back(std::move(ids));
    }
  }
  return docs;
}

// The single sequence of every document (fails for documents of another shape).
inline std::vector<std::vector<int32_t>> single_sequences(const Documents& docs) {
  std::vector<std::vector<int32_t>> out;
  for (const auto& d : docs) {
    EXPECT_EQ(d.size(), 1u);
    if (!d.empty()) out.push_back(d[0]);
  }
  return out;
}

// The instruction triple under `prefix` ("{output_prefix}_packed"): documents of samples; checks
// that the three datasets have the same shape, i32 tokens and an attention mask of ones.
inline std::vector<std::vector<InstructionSample>> read_triple(const std::string& prefix) {
  const Documents ids = read_documents(prefix + "_input_ids_document");
  const Documents mask = read_documents(prefix + "_attention_mask_document");
  const Documents labels = read_documents(prefix + "_labels_document");
  for (const char* key : {"input_ids", "attention_mask", "labels"})
    EXPECT_EQ(data::IndexedDataset(prefix + "_" + key + "_document").token_type(),
              data::TokenType::I32)
        << key;
  std::vector<std::vector<InstructionSample>> out;
  EXPECT_EQ(ids.size(), mask.size());
  EXPECT_EQ(ids.size(), labels.size());
  for (size_t d = 0; d < ids.size() && d < mask.size() && d < labels.size(); ++d) {
    EXPECT_EQ(ids[d].size(), labels[d].size());
    EXPECT_EQ(ids[d].size(), mask[d].size());
    auto& doc = out.emplace_back();
    for (size_t s = 0; s < ids[d].size() && s < labels[d].size() && s < mask[d].size(); ++s) {
      EXPECT_EQ(mask[d][s], std::vector<int32_t>(ids[d][s].size(), 1));
      EXPECT_EQ(ids[d][s].size(), labels[d][s].size());
      doc.push_back(InstructionSample{ids[d][s], labels[d][s]});
    }
  }
  return out;
}

// The text of the trained positions of a sample: consecutive unmasked label runs, each decoded.
inline std::vector<std::string> trained_texts(const InstructionSample& s,
                                              const tokenizer::Tokenizer& tok) {
  std::vector<std::string> out;
  std::vector<int32_t> run;
  for (size_t i = 0; i <= s.labels.size(); ++i) {
    if (i < s.labels.size() && s.labels[i] != kIgnoreLabel) {
      EXPECT_EQ(s.labels[i], s.input_ids[i]) << "a label differs from its token at " << i;
      run.push_back(s.labels[i]);
    } else if (!run.empty()) {
      out.push_back(tok.decode(run));
      run.clear();
    }
  }
  return out;
}

// Runs a shell command; returns its exit status.
inline int run(const std::string& cmd) { return std::system(cmd.c_str()); }

// The Python from-the-spec reader's view of PREFIX.{bin,idx}: {"dtype", "documents"}.
inline nlohmann::json spec_read(const std::string& prefix, const TestDir& dir) {
  const std::string out = dir / "spec_read.json", log = dir / "spec_read.log";
  const int rc = run("/usr/bin/python3 " + oracle_dir() + "indexed_dataset_oracle.py read '" +
                     prefix + "' > '" + out + "' 2> '" + log + "'");
  if (rc != 0) {
    ADD_FAILURE() << "indexed_dataset_oracle.py rejected " << prefix << ": " << read_text(log);
    return nlohmann::json();
  }
  return nlohmann::json::parse(read_text(out));
}

// preprocess_oracle.py on a JSONL file: {"datasets": {key: documents}}.
inline nlohmann::json preprocess_oracle(const std::string& handler, const std::string& input,
                                        const std::string& extra_args, const TestDir& dir) {
  const std::string out = dir / "oracle_out.json", log = dir / "oracle.log";
  const int rc = run("/usr/bin/python3 " + oracle_dir() + "preprocess_oracle.py --model '" +
                     llama2_model() + "' --handler " + handler + " --input '" + input +
                     "' --output '" + out + "' " + extra_args + " > '" + log + "' 2>&1");
  if (rc != 0) {
    ADD_FAILURE() << "preprocess_oracle.py failed: " << read_text(log);
    return nlohmann::json();
  }
  return nlohmann::json::parse(read_text(out));
}

// The first n lines of a file, each with its '\n'.
inline std::string first_lines(const std::string& path, size_t n) {
  const std::string text = read_text(path);
  size_t end = 0;
  for (size_t i = 0; i < n && end < text.size(); ++i) {
    const size_t nl = text.find('\n', end);
    end = nl == std::string::npos ? text.size() : nl + 1;
  }
  return text.substr(0, end);
}

// The non-empty lines of a text (without '\n'; a last line without one counts).
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (nl > start) out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// JSON lines of `records`.
inline std::string jsonl(const std::vector<nlohmann::json>& records) {
  std::string s;
  for (const auto& r : records) s += r.dump() + "\n";
  return s;
}

}  // namespace ascent::preprocess::testing
