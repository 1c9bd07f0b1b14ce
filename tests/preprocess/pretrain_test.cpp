// preprocess_pretrain: .txt / .jsonl -> .bin/.idx, read back through data::IndexedDataset.
#include "preprocess/pretrain.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "data/indexed_dataset.h"
#include "tokenizer/test_util.h"
#include "tokenizer/tokenizer.h"

namespace ascent::preprocess {
using tokenizer::load_tokenizer;
namespace {

using ascent::testing::expect_error;
using ascent::testing::TestDir;

std::vector<std::vector<int32_t>> read_documents(const std::string& prefix) {
  const data::IndexedDataset ds(prefix);
  EXPECT_EQ(ds.num_sequences(), ds.num_documents());  // one sequence per document
  std::vector<std::vector<int32_t>> docs;
  for (int64_t i = 0; i < ds.num_sequences(); ++i) {
    std::vector<int32_t> ids(static_cast<size_t>(ds.sequence_length(i)));
    ds.read(i, 0, ds.sequence_length(i), ids.data());
    docs.push_back(std::move(ids));
  }
  return docs;
}

PreprocessOptions options(const std::string& input, const std::string& prefix) {
  PreprocessOptions o;
  o.input = input;
  o.tokenizer_path = ascent::testing::llama2_model();
  o.output_prefix = prefix;
  return o;
}

TEST(Preprocess, TextLinesBecomeDocumentsWithEod) {
  TestDir dir;
  const std::vector<std::string> docs = {"First Citizen: Before we proceed any further.",
                                         "  indented, 你好 😀 1234  ", "x", "windows line"};
  ascent::testing::write_text(
      dir / "in.txt", docs[0] + "\n\n" + docs[1] + "\n" + docs[2] + "\n\n\n" + docs[3] + "\r\n");
  PreprocessOptions o = options(dir / "in.txt", dir / "out/corpus");
  o.append_eod = true;
  const PreprocessStats s = preprocess_pretrain(o);

  const auto tok = load_tokenizer("SentencePiece", o.tokenizer_path);
  EXPECT_EQ(s.lines, 7);
  EXPECT_EQ(s.documents, 4);
  EXPECT_EQ(s.empty_lines, 3);
  EXPECT_EQ(s.malformed_lines, 0);
  ASSERT_EQ(s.outputs, std::vector<std::string>{dir / "out/corpus_text_document"});
  EXPECT_EQ(data::IndexedDataset(s.outputs[0]).token_type(), data::TokenType::U16);
  const auto got = read_documents(s.outputs[0]);
  ASSERT_EQ(got.size(), docs.size());
  int64_t tokens = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::vector<int32_t> want = tok->encode(docs[i]);  // "\r" of the CRLF line dropped
    want.push_back(tok->eos_id());
    EXPECT_EQ(got[i], want) << docs[i];
    tokens += static_cast<int64_t>(want.size());
  }
  EXPECT_EQ(s.tokens, tokens);
}

TEST(Preprocess, WithoutEodAndAcrossBatchesWorkerCountDoesNotMatter) {
  TestDir dir;
  // ~7,500 lines: more than one encoding batch.
  const std::string text = ascent::testing::head_lines(ascent::testing::shakespeare(), 200'000);
  ascent::testing::write_text(dir / "shakespeare.txt", text);
  PreprocessOptions o = options(dir / "shakespeare.txt", dir / "one");
  o.workers = 1;
  const PreprocessStats one = preprocess_pretrain(o);
  o.output_prefix = dir / "three";
  o.workers = 3;
  const PreprocessStats three = preprocess_pretrain(o);

  for (const char* ext : {".bin", ".idx"})
    EXPECT_EQ(ascent::testing::read_text(one.outputs[0] + ext),
              ascent::testing::read_text(three.outputs[0] + ext))
        << ext;
  EXPECT_EQ(one.documents + one.empty_lines, one.lines);
  EXPECT_GT(one.lines, 4096);

  const auto tok = load_tokenizer("SentencePiece", o.tokenizer_path);
  const auto got = read_documents(three.outputs[0]);
  ASSERT_EQ(static_cast<int64_t>(got.size()), three.documents);
  std::istringstream in(text);
  std::string line;
  size_t d = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ASSERT_LT(d, got.size());
    ASSERT_EQ(got[d++], tok->encode(line)) << line;
  }
  EXPECT_EQ(d, got.size());
}

// Line 2 invalid JSON, 3 blank, 4 not an object, 5 missing key, 6 not a string, 7 empty
// document, 8 a good line with an extra field, 9 a good line without a final newline.
const char* kJsonLines = R"({"text": "Hello world", "title": "greeting"}
{"text": "broken",

["an", "array"]
{"title": "no text"}
{"text": 42, "title": "x"}
{"text": "", "title": ""}
{"text": "line\nbreak 你好", "title": "", "extra": 1}
{"text": "last, no newline", "title": "t"})";

TEST(Preprocess, JsonLinesCountMalformedLinesWithTheirPosition) {
  TestDir dir;
  ascent::testing::write_text(dir / "in.jsonl", kJsonLines);
  PreprocessOptions o = options(dir / "in.jsonl", dir / "js");
  o.json_keys = {"text", "title"};
  o.append_eod = true;
  const PreprocessStats s = preprocess_pretrain(o);

  EXPECT_EQ(s.lines, 9);
  EXPECT_EQ(s.documents, 3);
  EXPECT_EQ(s.empty_lines, 1);
  EXPECT_EQ(s.empty_documents, 1);
  EXPECT_EQ(s.malformed_lines, 4);
  ASSERT_EQ(s.malformed_examples.size(), 4u);
  const std::string file = dir / "in.jsonl";
  EXPECT_EQ(s.malformed_examples[0].rfind(file + ":2: invalid JSON", 0), 0u)
      << s.malformed_examples[0];
  EXPECT_EQ(s.malformed_examples[1], file + ":4: not a JSON object");
  EXPECT_EQ(s.malformed_examples[2], file + ":5: missing key 'text'");
  EXPECT_EQ(s.malformed_examples[3], file + ":6: key 'text' is not a string");

  const auto tok = load_tokenizer("SentencePiece", o.tokenizer_path);
  const auto with_eod = [&](const std::string& t) {
    std::vector<int32_t> ids = tok->encode(t);
    if (!ids.empty()) ids.push_back(tok->eos_id());  // Megatron: no EOD on an empty document
    return ids;
  };
  ASSERT_EQ(s.outputs.size(), 2u);
  EXPECT_EQ(s.outputs[0], dir / "js_text_document");
  EXPECT_EQ(s.outputs[1], dir / "js_title_document");
  EXPECT_EQ(read_documents(s.outputs[0]), (std::vector<std::vector<int32_t>>{
                                              with_eod("Hello world"), with_eod("line\nbreak 你好"),
                                              with_eod("last, no newline")}));
  EXPECT_EQ(read_documents(s.outputs[1]),
            (std::vector<std::vector<int32_t>>{with_eod("greeting"), {}, with_eod("t")}));
}

TEST(Preprocess, StrictFailsAtTheFirstMalformedLineAndWritesNothing) {
  TestDir dir;
  ascent::testing::write_text(dir / "in.jsonl", kJsonLines);
  PreprocessOptions o = options(dir / "in.jsonl", dir / "strict");
  o.strict = true;
  expect_error([&] { preprocess_pretrain(o); },
               {"[preprocess]", dir / "in.jsonl:2:", "invalid JSON", "--strict"});
  EXPECT_FALSE(std::filesystem::exists(dir / "strict_text_document.idx"));
  EXPECT_FALSE(std::filesystem::exists(dir / "strict_text_document.bin"));
}

TEST(Preprocess, BadOptionsNameTheFlag) {
  TestDir dir;
  ascent::testing::write_text(dir / "in.txt", "hello\n");
  ascent::testing::write_text(dir / "in.csv", "hello\n");
  PreprocessOptions o = options(dir / "in.txt", dir / "out");
  expect_error([&] { preprocess_pretrain(options(dir / "nope.txt", dir / "out")); },
               {"--input", "nope.txt"});
  expect_error([&] { preprocess_pretrain(options(dir / "in.csv", dir / "out")); },
               {"--input", "in.csv", ".csv"});
  PreprocessOptions keys = o;
  keys.json_keys = {"text", "title"};
  expect_error([&] { preprocess_pretrain(keys); }, {"--json-keys"});
  PreprocessOptions tok = o;
  tok.tokenizer_path = dir / "missing.model";
  expect_error([&] { preprocess_pretrain(tok); }, {"[tokenizer]", "missing.model"});
  PreprocessOptions type = o;
  type.tokenizer_type = "HFTokenizer";
  expect_error([&] { preprocess_pretrain(type); }, {"HFTokenizer"});
  PreprocessOptions prefix = o;
  prefix.output_prefix.clear();
  expect_error([&] { preprocess_pretrain(prefix); }, {"--output-prefix"});
}

}  // namespace
}  // namespace ascent::preprocess
