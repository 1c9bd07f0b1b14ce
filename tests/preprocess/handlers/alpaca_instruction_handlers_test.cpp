// GeneralInstructionHandler, BelleMultiTurnInstructionHandler, LeetcodePythonInstructionHandler on
// in-memory records: the Alpaca prompt of DESIGN.md section 6 and its mask.
#include <gtest/gtest.h>

#include <algorithm>
#include <span>

#include "preprocess/handlers/handler_test_util.h"
#include "preprocess/prompt_templates.h"

namespace ascent::preprocess::testing {
namespace {

using data::readers::Problem;
using json = nlohmann::json;

const std::string kSystem(kAlpacaSystem);

// The sample AscendSpeed builds for a prompt text: ids of the whole text (+ EOS), labels masked
// over as many positions as the text up to the last "### Response:\n" has tokens.
InstructionSample expected(const std::string& prompt, bool eod) {
  InstructionSample s;
  s.input_ids = encode(prompt);
  if (eod) s.input_ids.push_back(llama2().eos_id());
  s.labels = s.input_ids;
  const size_t n = encode(alpaca_user_prompt(prompt)).size();
  for (size_t i = 0; i < n; ++i) s.labels[i] = kIgnoreLabel;
  return s;
}

void expect_sample(const InstructionSample& got, const InstructionSample& want) {
  EXPECT_EQ(got.input_ids, want.input_ids);
  EXPECT_EQ(got.labels, want.labels);
}

size_t masked(const InstructionSample& s) {
  return static_cast<size_t>(std::count(s.labels.begin(), s.labels.end(), kIgnoreLabel));
}

TEST(GeneralInstructionHandler, AlpacaPromptMaskedUpToTheResponse) {
  PreprocessOptions o = handler_options("GeneralInstructionHandler");
  o.append_eod = true;
  const std::string instruction = "Give three tips for staying healthy.", input = "",
                    output = "1. Eat well.\n2. Exercise.\n3. Sleep.";
  const HandledRecord r =
      handle_ok(o, {{"instruction", instruction}, {"input", input}, {"output", output}});
  ASSERT_EQ(r.samples.size(), 1u);
  // DESIGN.md section 6, literally.
  const std::string prompt = "\n" + kSystem + "\n" + "### Instruction:\n" + instruction + "\n" +
                             input + "\n" + "### Response:\n" + output + "\n";
  expect_sample(r.samples[0], expected(prompt, true));
  const InstructionSample& s = r.samples[0];
  // Exactly the prompt is masked; the trained tokens are the response (+ "\n") and EOS.
  EXPECT_EQ(llama2().decode(std::span(s.input_ids).first(masked(s))),
            "\n" + kSystem + "\n### Instruction:\n" + instruction + "\n\n### Response:\n");
  EXPECT_EQ(trained_texts(s, llama2()), std::vector<std::string>{output + "\n"});
  EXPECT_EQ(s.labels.back(), llama2().eos_id());
}

TEST(GeneralInstructionHandler, GSM8KThroughMapKeysWithoutInput) {
  PreprocessOptions o = handler_options("GeneralInstructionHandler");
  o.map_keys = {{"instruction", "question"}, {"output", "answer"}};
  const std::string q = "Natalia sold clips to 48 of her friends in April. How many?",
                    a = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72";
  const HandledRecord r = handle_ok(o, {{"question", q}, {"answer", a}});
  const std::string prompt =
      "\n" + kSystem + "\n### Instruction:\n" + q + "\n\n### Response:\n" + a + "\n";
  expect_sample(r.samples[0], expected(prompt, false));
  EXPECT_EQ(trained_texts(r.samples[0], llama2()), std::vector<std::string>{a + "\n"});
}

TEST(GeneralInstructionHandler, BadRecords) {
  const PreprocessOptions o = handler_options("GeneralInstructionHandler");
  EXPECT_EQ(handle_bad(o, {{"instruction", "x"}}).reason, Problem::kMissingKey);
  EXPECT_EQ(handle_bad(o, {{"instruction", "x"}, {"output", {1, 2}}}).reason, Problem::kNotAString);
  EXPECT_EQ(handle_bad(o, {{"instruction", "x"}, {"input", 3}, {"output", "y"}}).reason,
            Problem::kNotAString);
  EXPECT_EQ(handle_bad(o, {{"instruction", ""}, {"input", ""}, {"output", ""}}).reason,
            Problem::kEmptyText);
  PreprocessOptions mapped = o;
  mapped.map_keys = {{"instruction", "question"}};
  EXPECT_EQ(handle_bad(mapped, {{"instruction", "x"}, {"output", "y"}}).message,
            "missing key 'question' (the record has keys 'instruction', 'output')");
}

TEST(BelleMultiTurnInstructionHandler, TurnsSplitOutOfTheInstruction) {
  PreprocessOptions o = handler_options("BelleMultiTurnInstructionHandler");
  o.append_eod = true;
  const std::string instruction =
      "Human: 你好\nAssistant: 你好！有什么可以帮你？\nHuman:\u3000讲个笑话 \nAssistant:";
  const HandledRecord r = handle_ok(
      o, {{"instruction", instruction}, {"input", "ignored"}, {"output", " 好的：从前有座山。\n"}});
  const std::string prompt = alpaca_training_prompt({{Role::kUser, "你好"},
                                                     {Role::kAssistant, "你好！有什么可以帮你？"},
                                                     {Role::kUser, "讲个笑话"},
                                                     {Role::kAssistant, "好的：从前有座山。"}});
  expect_sample(r.samples[0], expected(prompt, true));
  // Only the last reply is trained; the earlier one is part of the prompt.
  EXPECT_EQ(trained_texts(r.samples[0], llama2()),
            std::vector<std::string>{"好的：从前有座山。\n"});
}

TEST(BelleMultiTurnInstructionHandler, OddLayoutsFollowPython) {
  const PreprocessOptions o = handler_options("BelleMultiTurnInstructionHandler");
  // No "Human:": the whole instruction is one reply that the last output replaces.
  HandledRecord r = handle_ok(o, {{"instruction", "just text"}, {"output", "reply"}});
  expect_sample(r.samples[0],
                expected(alpaca_training_prompt({{Role::kAssistant, "reply"}}), false));
  // A turn with two "Assistant:" keeps the text between the first two.
  r = handle_ok(o, {{"instruction", "Human: q Assistant: a1 Assistant: a2 Human: q2 Assistant:"},
                    {"output", "last"}});
  expect_sample(r.samples[0], expected(alpaca_training_prompt({{Role::kUser, "q"},
                                                               {Role::kAssistant, "a1"},
                                                               {Role::kUser, "q2"},
                                                               {Role::kAssistant, "last"}}),
                                       false));
  EXPECT_EQ(handle_bad(o, {{"instruction", "Human:Human:"}, {"output", "x"}}).reason,
            Problem::kEmptyText);
}

TEST(LeetcodePythonInstructionHandler, ProblemBeforeTheFirstCodeFence) {
  const PreprocessOptions o = handler_options("LeetcodePythonInstructionHandler");
  const json rec = {
      {"code_with_problem", "  Two Sum: find two numbers.\n```python\ndef f(): pass\n```"},
      {"code_only", "```python\ndef f(): pass\n```"},
      {"explanation_only", "Use a hash map."}};
  const HandledRecord r = handle_ok(o, rec);
  const std::string answer = "```python\ndef f(): pass\n```\nUse a hash map.";
  expect_sample(r.samples[0],
                expected(alpaca_training_prompt({{Role::kUser, "Two Sum: find two numbers."},
                                                 {Role::kAssistant, answer}}),
                         false));
  EXPECT_EQ(trained_texts(r.samples[0], llama2()), std::vector<std::string>{answer + "\n"});
}

}  // namespace
}  // namespace ascent::preprocess::testing
