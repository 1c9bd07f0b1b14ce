// Our .bin/.idx files read by the Python from-the-spec reader (tests/oracle/
// indexed_dataset_oracle.py) hold exactly what Python computes: SentencePiece's own ids for
// pretraining documents, and for every handler what AscendSpeed's handlers build
// (tests/oracle/preprocess_oracle.py), on real data (tiny Shakespeare, GSM8K, the MOSS sample)
// and synthetic Alpaca / BELLE / LeetCode / MOSS records.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "preprocess/pipeline.h"
#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {
namespace {

using json = nlohmann::json;

// The bytes of PREFIX.{bin,idx} are exactly what the from-the-spec writer makes of the oracle's
// documents as i32, which is what AscendSpeed's preprocess_data.py writes (its builders get no
// vocabulary size, so i32).
void expect_same_bytes_as_spec_writer(const std::string& prefix, const json& documents,
                                      const TestDir& dir) {
  const std::string docs = dir / "spec_docs.json", want = dir / "spec_written";
  write_text(docs, documents.dump());
  ASSERT_EQ(run("/usr/bin/python3 " + oracle_dir() + "indexed_dataset_oracle.py write '" + want +
                "' i32 '" + docs + "'"),
            0);
  for (const char* ext : {".bin", ".idx"})
    EXPECT_TRUE(read_text(prefix + ext) == read_text(want + ext))
        << prefix << ext << " differs from the spec writer's i32 output";
}

// Runs our pipeline and the Python oracle on the same JSONL file; every dataset must match.
void expect_matches_oracle(const PreprocessOptions& o, const std::string& oracle_args,
                           const TestDir& dir, int64_t documents) {
  const PreprocessStats s = run_preprocess(o);
  EXPECT_EQ(s.problem_count(), 0) << o.handler_name;
  EXPECT_EQ(s.documents, documents) << o.handler_name;
  const json want = preprocess_oracle(o.handler_name, o.input, oracle_args, dir)["datasets"];
  ASSERT_EQ(want.size(), s.outputs.size()) << o.handler_name;
  const bool instruction = s.outputs[0].find("_packed_") != std::string::npos;
  for (const std::string& prefix : s.outputs) {
    const json got = spec_read(prefix, dir);
    // PREFIX_{key}_document or PREFIX_packed_{key}_document
    const std::string base = o.output_prefix + (instruction ? "_packed_" : "_");
    const std::string key =
        prefix.substr(base.size(), prefix.size() - base.size() - std::string("_document").size());
    ASSERT_TRUE(want.contains(key)) << key;
    // AscendSpeed's builders always write i32; --token-dtype auto is Megatron-LM's u16 rule.
    const bool u16 = !instruction && o.token_dtype == "auto";
    EXPECT_EQ(got["dtype"], u16 ? "u16" : "i32") << prefix;
    ASSERT_EQ(got["documents"].size(), want[key].size()) << prefix;
    for (size_t d = 0; d < want[key].size(); ++d)
      ASSERT_EQ(got["documents"][d], want[key][d]) << prefix << " document " << d;
    if (!u16) expect_same_bytes_as_spec_writer(prefix, want[key], dir);
  }
}

TEST(Oracle, PretrainingDocumentsAreSentencePieceIds) {
  TestDir dir;
  // Shakespeare lines and GSM8K answers as JSON lines with two keys.
  const std::string shakespeare = first_lines(shared_data("tinyshakespeare/input.txt"), 1500);
  const std::string gsm = first_lines(shared_data("gsm8k/train.jsonl"), 400);
  const std::vector<std::string> lines = lines_of(shakespeare);
  std::vector<std::string> answers;
  for (const std::string& l : lines_of(gsm)) answers.push_back(json::parse(l)["answer"]);
  std::string records;
  for (size_t i = 0; i < lines.size(); ++i)
    records += json{{"text", lines[i]}, {"answer", answers[i % answers.size()]}}.dump() + "\n";
  write_text(dir / "mixed.jsonl", records);
  PreprocessOptions o = options(dir / "mixed.jsonl", dir / "mixed");
  o.json_keys = {"text", "answer"};
  o.append_eod = true;
  expect_matches_oracle(o, "--append-eod --json-keys text answer", dir,
                        static_cast<int64_t>(lines.size()));

  // And directly against SentencePiece's Python binding (sentencepiece_oracle.py).
  std::string texts;
  for (const std::string& l : lines) texts += json(l).dump() + "\n";
  write_text(dir / "texts.jsonl", texts);
  ASSERT_EQ(run("/usr/bin/python3 " + oracle_dir() + "sentencepiece_oracle.py encode --model '" +
                llama2_model() + "' --input '" + (dir / "texts.jsonl") + "' --output '" +
                (dir / "sp.json") + "'"),
            0);
  const json sp = json::parse(read_text(dir / "sp.json"));
  const json got = spec_read(dir / "mixed_text_document", dir);
  ASSERT_EQ(got["documents"].size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    json ids = sp["results"][i]["ids"];
    ids.push_back(sp["eos_id"]);
    ASSERT_EQ(got["documents"][i][0], ids) << lines[i];
  }

  // --token-dtype auto writes Megatron-LM's u16 (the vocabulary is below 65500) with the same
  // ids.
  o.json_keys = {"text"};
  o.token_dtype = "auto";
  o.output_prefix = dir / "narrow";
  run_preprocess(o);
  const json narrow = spec_read(dir / "narrow_text_document", dir);
  EXPECT_EQ(narrow["dtype"], "u16");
  EXPECT_EQ(narrow["documents"], got["documents"]);
}

TEST(Oracle, AlpacaInstructionsSyntheticAndGsm8k) {
  TestDir dir;
  const std::vector<json> alpaca = {
      {{"instruction", "Give three tips for staying healthy."},
       {"input", ""},
       {"output", "1. Eat a balanced diet.\n2. Exercise regularly.\n3. Get enough sleep."}},
      {{"instruction", "Translate to French."}, {"input", "Good morning"}, {"output", "Bonjour"}},
      {{"instruction", "把这句话翻译成英文。"},
       {"input", "你好，世界 😀"},
       {"output", "Hello, world 😀"}},
      {{"instruction", "Quote the header."},
       {"input", "  spaced  "},
       {"output", "It reads ### Response: here.\n\n"}},
      {{"instruction", "Empty answer?"}, {"input", "x"}, {"output", ""}}};
  write_text(dir / "alpaca.jsonl", jsonl(alpaca));
  PreprocessOptions o = options(dir / "alpaca.jsonl", dir / "alpaca", "GeneralInstructionHandler");
  o.append_eod = true;
  expect_matches_oracle(o, "--append-eod", dir, 5);

  write_text(dir / "gsm.jsonl", first_lines(shared_data("gsm8k/train.jsonl"), 500));
  o = options(dir / "gsm.jsonl", dir / "gsm", "GeneralInstructionHandler");
  o.map_keys = {{"instruction", "question"}, {"output", "answer"}};
  expect_matches_oracle(o, R"(--map-keys '{"instruction": "question", "output": "answer"}')", dir,
                        500);

  // AlpacaPretrainHandler on the same Alpaca records.
  o = options(dir / "alpaca.jsonl", dir / "alpaca_pre", "AlpacaPretrainHandler");
  o.append_eod = true;
  expect_matches_oracle(o, "--append-eod", dir, 5);
}

TEST(Oracle, BelleAndLeetcodeSynthetic) {
  TestDir dir;
  const std::vector<json> belle = {
      {{"instruction",
        "Human: 你好\nAssistant: 你好！请问有什么可以帮你？\nHuman: 写一首诗\nAssistant:"},
       {"input", ""},
       {"output", "春眠不觉晓，\n处处闻啼鸟。"}},
      {{"instruction", "Human:What is 2+2?\nAssistant:"}, {"input", ""}, {"output", " 4 "}},
      {{"instruction", "Human: a\u3000\nAssistant: b Assistant: c\nHuman: d\nAssistant: "},
       {"input", "unused"},
       {"output", "e"}},
      {{"instruction", "no markers at all"}, {"input", ""}, {"output", "reply"}}};
  write_text(dir / "belle.jsonl", jsonl(belle));
  PreprocessOptions o =
      options(dir / "belle.jsonl", dir / "belle", "BelleMultiTurnInstructionHandler");
  o.append_eod = true;
  expect_matches_oracle(o, "--append-eod", dir, 4);

  const std::vector<json> leetcode = {
      {{"code_with_problem", "Two Sum\nGiven nums, return indices.\n```python\nclass S: pass\n```"},
       {"code_only", "```python\nclass S: pass\n```"},
       {"explanation_only", "Use a dict from value to index."}},
      {{"code_with_problem", "   no code fence here  "},
       {"code_only", "print(1)"},
       {"explanation_only", ""}}};
  write_text(dir / "leetcode.jsonl", jsonl(leetcode));
  o = options(dir / "leetcode.jsonl", dir / "leetcode", "LeetcodePythonInstructionHandler");
  expect_matches_oracle(o, "", dir, 2);
}

TEST(Oracle, MossHandlersOnTheRealSampleAndMossLayout) {
  TestDir dir;
  const std::string sample = shared_data("moss_chat_sample/dummy_data.jsonl");
  for (const char* handler : {"MOSSInstructionHandler", "MOSSMultiTurnHandler"}) {
    const PreprocessOptions o = options(sample, dir / handler, handler);
    expect_matches_oracle(o, "", dir, 33);
  }
  json chat = json::object();
  for (int i = 1; i <= 3; ++i)
    chat["turn_" + std::to_string(i)] = {
        {"Human", "<|Human|>: question " + std::to_string(i) + " 你好<eoh>\n"},
        {"Inner Thoughts", "<|Inner Thoughts|>: None<eot>\n"},
        {"MOSS", "<|MOSS|>: answer " + std::to_string(i) + "<eom>\n"}};
  write_text(dir / "moss.jsonl", jsonl({{{"conversation_id", 1}, {"chat", chat}}}));
  for (const char* handler : {"MOSSInstructionHandler", "MOSSMultiTurnHandler"})
    expect_matches_oracle(options(dir / "moss.jsonl", dir / (std::string("m_") + handler), handler),
                          "", dir, 1);
}

}  // namespace
}  // namespace ascent::preprocess::testing
