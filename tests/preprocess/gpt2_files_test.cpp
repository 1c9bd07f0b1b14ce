// --vocab-file / --merge-file are read by their own names (Megatron ships gpt2-vocab.json and
// gpt2-merges.txt), not looked up as vocab.json + merges.txt in the vocabulary's directory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "preprocess/pipeline.h"
#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {
namespace {

// A tiny byte-level BPE: "ab ab" -> "ab", "Ġab" (Ġ is the byte-level space).
void write_tiny_gpt2(const TestDir& dir) {
  const nlohmann::json vocab = {{"a", 0},  {"b", 1},        {"\u0120", 2},
                                {"ab", 3}, {"\u0120ab", 4}, {"<|endoftext|>", 5}};
  write_text(dir / "gpt2-vocab.json", vocab.dump());
  write_text(dir / "gpt2-merges.txt", "#version: 0.2\na b\n\u0120 ab\n");
}

TEST(Gpt2Files, VocabAndMergeFilesAreReadByName) {
  TestDir dir;
  write_tiny_gpt2(dir);
  write_text(dir / "t.jsonl", "{\"text\": \"ab ab\"}\n");
  PreprocessOptions o = options(dir / "t.jsonl", dir / "g");
  o.tokenizer_path.clear();
  o.tokenizer_type = "GPT2BPETokenizer";
  o.vocab_file = dir / "gpt2-vocab.json";
  o.merge_file = dir / "gpt2-merges.txt";
  o.append_eod = true;
  const PreprocessStats s = run_preprocess(o);
  EXPECT_EQ(read_documents(s.outputs[0]), (Documents{{{3, 4, 5}}}));

  PreprocessOptions no_merges = o;
  no_merges.merge_file.clear();
  expect_error([&] { run_preprocess(no_merges); }, {"--merge-file", "gpt2-vocab.json"});
  PreprocessOptions missing = o;
  missing.merge_file = dir / "nope.txt";
  expect_error([&] { run_preprocess(missing); }, {"nope.txt", "--merge-file"});
  PreprocessOptions both = o;
  both.tokenizer_path = dir.str();
  expect_error([&] { run_preprocess(both); }, {"--vocab-file", "--tokenizer-name-or-path"});
  PreprocessOptions sp = o;
  sp.tokenizer_type = "SentencePiece";
  expect_error([&] { run_preprocess(sp); }, {"--vocab-file", "GPT2BPETokenizer"});
}

}  // namespace
}  // namespace ascent::preprocess::testing
