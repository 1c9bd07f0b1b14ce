// Pretraining runs end to end: .txt / .jsonl -> .bin/.idx, read back through data::IndexedDataset.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "data/indexed_dataset.h"
#include "preprocess/pipeline.h"
#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {
namespace {

using data::readers::Problem;

TEST(Preprocess, TextLinesBecomeDocumentsWithEod) {
  TestDir dir;
  const std::vector<std::string> docs = {"First Citizen: Before we proceed any further.",
                                         "  indented, 你好 😀 1234  ", "x", "windows line"};
  write_text(dir / "in.txt",
             docs[0] + "\n\n" + docs[1] + "\n" + docs[2] + "\n\n\n" + docs[3] + "\r\n");
  PreprocessOptions o = options(dir / "in.txt", dir / "out/corpus");
  o.append_eod = true;
  const PreprocessStats s = run_preprocess(o);

  EXPECT_EQ(s.records, 4);  // empty lines are no records
  EXPECT_EQ(s.documents, 4);
  EXPECT_EQ(s.problem_count(), 0);
  ASSERT_EQ(s.outputs, std::vector<std::string>{dir / "out/corpus_text_document"});
  // i32 by default, as AscendSpeed's preprocess_data.py writes.
  EXPECT_EQ(data::IndexedDataset(s.outputs[0]).token_type(), data::TokenType::I32);
  const auto got = single_sequences(read_documents(s.outputs[0]));
  ASSERT_EQ(got.size(), docs.size());
  int64_t tokens = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::vector<int32_t> want = llama2().encode(docs[i]);  // "\r" of the CRLF line dropped
    want.push_back(llama2().eos_id());
    EXPECT_EQ(got[i], want) << docs[i];
    tokens += static_cast<int64_t>(want.size());
  }
  EXPECT_EQ(s.tokens, tokens);
}

TEST(Preprocess, AcrossBatchesWorkerCountDoesNotMatter) {
  TestDir dir;
  // ~2.2 MB: three reader batches.
  std::string text;
  const std::string shakespeare = read_text(shared_data("tinyshakespeare/input.txt"));
  for (int i = 0; i < 2; ++i) text += shakespeare;
  write_text(dir / "shakespeare.txt", text);
  PreprocessOptions o = options(dir / "shakespeare.txt", dir / "one");
  o.workers = 1;
  const PreprocessStats one = run_preprocess(o);
  o.output_prefix = dir / "three";
  o.workers = 3;
  const PreprocessStats three = run_preprocess(o);

  for (const char* ext : {".bin", ".idx"})
    EXPECT_EQ(read_text(one.outputs[0] + ext), read_text(three.outputs[0] + ext)) << ext;
  EXPECT_EQ(one.documents, one.records);
  EXPECT_EQ(one.tokens, three.tokens);

  const auto got = single_sequences(read_documents(three.outputs[0]));
  ASSERT_EQ(static_cast<int64_t>(got.size()), three.documents);
  std::istringstream in(text);
  std::string line;
  size_t d = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ASSERT_LT(d, got.size());
    ASSERT_EQ(got[d++], llama2().encode(line)) << line;
  }
  EXPECT_EQ(d, got.size());
}

// Line 2 invalid JSON, 3 blank, 4 not an object, 5 missing key, 6 not a string, 7 every key
// empty, 8 a good line with an empty title and an extra field, 9 good, without a final newline.
const char* kJsonLines = R"({"text": "Hello world", "title": "greeting"}
{"text": "broken",

["an", "array"]
{"title": "no text"}
{"text": 42, "title": "x"}
{"text": "", "title": ""}
{"text": "line\nbreak 你好", "title": "", "extra": 1}
{"text": "last, no newline", "title": "t"})";

TEST(Preprocess, JsonLinesCountRejectedRecordsPerReasonWithTheirPosition) {
  TestDir dir;
  write_text(dir / "in.jsonl", kJsonLines);
  PreprocessOptions o = options(dir / "in.jsonl", dir / "js");
  o.json_keys = {"text", "title"};
  o.append_eod = true;
  const PreprocessStats s = run_preprocess(o);

  EXPECT_EQ(s.records, 8);
  EXPECT_EQ(s.documents, 3);
  EXPECT_EQ(s.problem_count(), 5);
  const std::string file = dir / "in.jsonl";
  const auto examples = [&](Problem p) { return s.problems.at(p).examples; };
  ASSERT_EQ(s.problem_count(Problem::kInvalidJson), 1);
  EXPECT_EQ(examples(Problem::kInvalidJson)[0].rfind(file + ":2: invalid JSON", 0), 0u);
  EXPECT_EQ(examples(Problem::kNotAnObject),
            std::vector<std::string>{file + ":4: not a JSON object (a JSON array)"});
  EXPECT_EQ(
      examples(Problem::kMissingKey),
      std::vector<std::string>{file + ":5: missing key 'text' (the record has keys 'title')"});
  EXPECT_EQ(examples(Problem::kNotAString),
            std::vector<std::string>{file + ":6: key 'text' is not a string (number)"});
  EXPECT_EQ(examples(Problem::kEmptyText),
            std::vector<std::string>{file + ":7: every --json-keys field is empty"});

  const auto with_eod = [&](const std::string& t) {
    std::vector<int32_t> ids = llama2().encode(t);
    ids.push_back(llama2().eos_id());
    return ids;
  };
  ASSERT_EQ(s.outputs.size(), 2u);
  EXPECT_EQ(s.outputs[0], dir / "js_text_document");
  EXPECT_EQ(s.outputs[1], dir / "js_title_document");
  EXPECT_EQ(
      single_sequences(read_documents(s.outputs[0])),
      (std::vector<std::vector<int32_t>>{with_eod("Hello world"), with_eod("line\nbreak 你好"),
                                         with_eod("last, no newline")}));
  // Megatron writes no document for an empty text, so the title dataset has two.
  EXPECT_EQ(single_sequences(read_documents(s.outputs[1])),
            (std::vector<std::vector<int32_t>>{with_eod("greeting"), with_eod("t")}));
}

TEST(Preprocess, StrictFailsAtTheFirstRejectedRecordAndWritesNothing) {
  TestDir dir;
  write_text(dir / "in.jsonl", kJsonLines);
  PreprocessOptions o = options(dir / "in.jsonl", dir / "strict");
  o.strict = true;
  expect_error([&] { run_preprocess(o); },
               {"[preprocess]", dir / "in.jsonl:2:", "invalid_json", "--strict"});
  for (const auto& e : std::filesystem::directory_iterator(dir.str()))
    EXPECT_EQ(e.path().filename(), "in.jsonl") << "left behind: " << e.path();
}

TEST(Preprocess, BadOptionsNameTheFlag) {
  TestDir dir;
  write_text(dir / "in.txt", "hello\n");
  write_text(dir / "in.xml", "hello\n");
  const PreprocessOptions o = options(dir / "in.txt", dir / "out");
  expect_error([&] { run_preprocess(options(dir / "nope.txt", dir / "out")); },
               {"--input", "nope.txt"});
  expect_error([&] { run_preprocess(options(dir / "in.xml", dir / "out")); },
               {"--input", "in.xml"});
  PreprocessOptions keys = o;
  keys.json_keys = {"text", "title"};
  expect_error([&] { run_preprocess(keys); }, {"--json-keys"});
  PreprocessOptions tok = o;
  tok.tokenizer_path = dir / "missing.model";
  expect_error([&] { run_preprocess(tok); }, {"[tokenizer]", "missing.model"});
  PreprocessOptions type = o;
  type.tokenizer_type = "HFTokenizer";
  expect_error([&] { run_preprocess(type); }, {"HFTokenizer"});
  PreprocessOptions prefix = o;
  prefix.output_prefix.clear();
  expect_error([&] { run_preprocess(prefix); }, {"--output-prefix"});
  PreprocessOptions handler = o;
  handler.handler_name = "NoSuchHandler";
  expect_error([&] { run_preprocess(handler); }, {"--handler-name", "NoSuchHandler"});
  PreprocessOptions trunc = o;
  trunc.seq_length_policy = SeqLengthPolicy::kTruncate;
  expect_error([&] { run_preprocess(trunc); }, {"--truncate", "--seq-length"});
  expect_error([] { parse_map_keys("{\"instruction\": 3}"); }, {"--map-keys", "instruction"});
  expect_error([] { parse_map_keys("[1]"); }, {"--map-keys"});
  EXPECT_EQ(parse_map_keys(R"({"prompt": "question", "response": "answer", "system": "sys"})"),
            (std::map<std::string, std::string>{
                {"instruction", "question"}, {"output", "answer"}, {"system", "sys"}}));
}

}  // namespace
}  // namespace ascent::preprocess::testing
