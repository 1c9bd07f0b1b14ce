// The Alpaca prompt of DESIGN.md section 6 and the chat templates, as text.
#include "preprocess/prompt_templates.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_dir.h"

namespace ascent::preprocess {
namespace {

const std::string kSystem =
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request. Please note that you "
    "need to think through your response logically and step by step.";

TEST(PromptTemplates, AlpacaPromptIsDesignSection6) {
  const std::string instruction = "Add the numbers.", input = "2 and 3", output = "5";
  const std::string prompt = alpaca_training_prompt(
      {{Role::kUser, instruction + "\n" + input}, {Role::kAssistant, output}});
  EXPECT_EQ(prompt, "\n" + kSystem + "\n" + "### Instruction:\n" + instruction + "\n" + input +
                        "\n" + "### Response:\n" + output + "\n");
  EXPECT_EQ(alpaca_user_prompt(prompt), "\n" + kSystem + "\n" + "### Instruction:\n" + instruction +
                                            "\n" + input + "\n" + "### Response:\n");
}

TEST(PromptTemplates, AlpacaUserPromptEndsAtTheLastResponseToken) {
  // A response that itself contains the token: AscendSpeed's rsplit masks up to that one.
  const std::string prompt =
      alpaca_training_prompt({{Role::kUser, "q\n"}, {Role::kAssistant, "a ### Response: b"}});
  EXPECT_EQ(alpaca_user_prompt(prompt),
            "\n" + kSystem + "\n### Instruction:\nq\n\n### Response:\na ### Response:\n");
}

// Segments as "[p]text" / "[t]text" / "<bos>" / "<eos>" for compact expectations.
std::vector<std::string> show(const std::vector<Segment>& segs) {
  std::vector<std::string> out;
  for (const Segment& s : segs) {
    switch (s.kind) {
      case Segment::Kind::kBos:
        out.push_back(s.trained ? "<BOS>" : "<bos>");
        break;
      case Segment::Kind::kEos:
        out.push_back(s.trained ? "<EOS>" : "<eos>");
        break;
      case Segment::Kind::kText:
        out.push_back((s.trained ? "[t]" : "[p]") + s.text);
        break;
    }
  }
  return out;
}

const std::vector<Message> kTurns = {{Role::kUser, "Hi"},
                                     {Role::kAssistant, "Hello!"},
                                     {Role::kUser, "2+2?"},
                                     {Role::kAssistant, "4"}};

TEST(PromptTemplates, AlpacaChatTemplateMatchesThePrompter) {
  const auto& t = prompt_template("alpaca");
  EXPECT_FALSE(t.places_bos());
  EXPECT_EQ(show(t.render("", kTurns)),
            (std::vector<std::string>{"[p]\n" + kSystem + "\n### Instruction:\nHi\n### Response:\n",
                                      "[t]Hello!\n", "[p]### Instruction:\n2+2?\n### Response:\n",
                                      "[t]4\n"}));
  // Joined, a single turn is exactly the prompter's text.
  std::string joined;
  for (const Segment& s : t.render("", {{Role::kUser, "q\n"}, {Role::kAssistant, "a"}}))
    joined += s.text;
  EXPECT_EQ(joined, alpaca_training_prompt({{Role::kUser, "q\n"}, {Role::kAssistant, "a"}}));
  EXPECT_EQ(show(t.render("Be brief.", {{Role::kUser, "q"}, {Role::kAssistant, "a"}}))[0],
            "[p]\nBe brief.\n### Instruction:\nq\n### Response:\n");
}

TEST(PromptTemplates, Llama2) {
  const auto& t = prompt_template("llama2");
  EXPECT_TRUE(t.places_bos());
  EXPECT_EQ(show(t.render("Be brief.", kTurns)),
            (std::vector<std::string>{
                "<bos>", "[p][INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]", "[t]Hello!",
                "<EOS>", "<bos>", "[p][INST] 2+2? [/INST]", "[t]4", "<EOS>"}));
}

TEST(PromptTemplates, Chatml) {
  const auto& t = prompt_template("chatml");
  EXPECT_EQ(
      show(t.render("sys", kTurns)),
      (std::vector<std::string>{
          "[p]<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
          "<|im_start|>assistant\n",
          "[t]Hello!<|im_end|>", "[p]\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
          "[t]4<|im_end|>", "[p]\n"}));
  EXPECT_EQ(show(t.render("", {{Role::kUser, "q"}, {Role::kAssistant, "a"}}))[0],
            "[p]<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n");
}

TEST(PromptTemplates, UnknownNameIsAnError) {
  ascent::testing::expect_error([] { prompt_template("vicuna"); },
                                {"[preprocess]", "--prompt-type", "vicuna", "alpaca"});
  EXPECT_EQ(prompt_template_names(), (std::vector<std::string>{"alpaca", "llama2", "chatml"}));
}

}  // namespace
}  // namespace ascent::preprocess
