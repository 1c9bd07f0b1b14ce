// SharegptStyleInstructionHandler and AlpacaStyleInstructionHandler: multi-turn conversations in
// ShareGPT, OpenAI and Firefly layouts under each chat template; the loss is on every reply.
#include <gtest/gtest.h>

#include "preprocess/handlers/handler_test_util.h"
#include "preprocess/prompt_templates.h"

namespace ascent::preprocess::testing {
namespace {

using data::readers::Problem;
using json = nlohmann::json;

PreprocessOptions chat_options(const std::string& prompt_type,
                               const std::string& handler = "SharegptStyleInstructionHandler") {
  PreprocessOptions o = handler_options(handler);
  o.prompt_type = prompt_type;
  return o;
}

const json kShareGpt = {{"conversations",
                         {{{"from", "system"}, {"value", "Answer briefly."}},
                          {{"from", "human"}, {"value", "What is the capital of France?"}},
                          {{"from", "gpt"}, {"value", "Paris."}},
                          {{"from", "human"}, {"value", "And of Italy?"}},
                          {{"from", "gpt"}, {"value", "Rome."}}}}};

const json kOpenAi = {{"messages",
                       {{{"role", "system"}, {"content", "Answer briefly."}},
                        {{"role", "user"}, {"content", "What is the capital of France?"}},
                        {{"role", "assistant"}, {"content", "Paris."}},
                        {{"role", "user"}, {"content", "And of Italy?"}},
                        {{"role", "assistant"}, {"content", "Rome."}}}}};

// The ids the segments encode to, and labels, built independently of the handler.
// (SentencePiece: the tokenizer puts nothing before a text, so no prefix.)
InstructionSample from_segments(const std::vector<Segment>& segs) {
  InstructionSample s;
  for (const Segment& seg : segs) {
    std::vector<int32_t> ids;
    if (seg.kind == Segment::Kind::kText) ids = encode(seg.text);
    if (seg.kind == Segment::Kind::kBos) ids = {llama2().bos_id()};
    if (seg.kind == Segment::Kind::kEos) ids = {llama2().eos_id()};
    s.input_ids.insert(s.input_ids.end(), ids.begin(), ids.end());
    for (int32_t id : ids) s.labels.push_back(seg.trained ? id : kIgnoreLabel);
  }
  return s;
}

const std::vector<Message> kTurns = {{Role::kUser, "What is the capital of France?"},
                                     {Role::kAssistant, "Paris."},
                                     {Role::kUser, "And of Italy?"},
                                     {Role::kAssistant, "Rome."}};

TEST(SharegptStyleInstructionHandler, EveryReplyIsTrainedUnderEachTemplate) {
  const std::map<std::string, std::vector<std::string>> replies = {
      {"alpaca", {"Paris.\n", "Rome.\n"}},
      {"llama2", {"Paris.", "Rome."}},  // + EOS, which decodes to nothing
      {"chatml", {"Paris.<|im_end|>", "Rome.<|im_end|>"}}};
  for (const auto& [name, want] : replies) {
    const PreprocessOptions o = chat_options(name);
    const HandledRecord a = handle_ok(o, kShareGpt), b = handle_ok(o, kOpenAi);
    ASSERT_EQ(a.samples.size(), 1u) << name;
    const InstructionSample& s = a.samples[0];
    const InstructionSample e =
        from_segments(prompt_template(name).render("Answer briefly.", kTurns));
    EXPECT_EQ(s.input_ids, e.input_ids) << name;
    EXPECT_EQ(s.labels, e.labels) << name;
    EXPECT_EQ(b.samples[0].input_ids, s.input_ids) << name;  // OpenAI layout: same sample
    EXPECT_EQ(b.samples[0].labels, s.labels) << name;
    EXPECT_EQ(trained_texts(s, llama2()), want) << name;
  }
}

TEST(SharegptStyleInstructionHandler, Llama2TrainsTheEosOfEveryReply) {
  const HandledRecord r = handle_ok(chat_options("llama2"), kShareGpt);
  const InstructionSample& s = r.samples[0];
  EXPECT_EQ(s.input_ids.front(), llama2().bos_id());
  EXPECT_EQ(std::count(s.input_ids.begin(), s.input_ids.end(), llama2().bos_id()), 2);
  EXPECT_EQ(std::count(s.labels.begin(), s.labels.end(), llama2().eos_id()), 2);
  EXPECT_EQ(s.labels.back(), llama2().eos_id());
}

TEST(SharegptStyleInstructionHandler, FireflyLayoutDefaultTemplateAndEod) {
  PreprocessOptions o = chat_options("");  // alpaca by default
  o.append_eod = true;
  const json rec = {{"conversation_id", 7},
                    {"conversation",
                     {{{"human", "Hi"}, {"assistant", "Hello!"}},
                      {{"human", "Bye"}, {"assistant", "Goodbye."}}}}};
  const HandledRecord r = handle_ok(o, rec);
  const InstructionSample& s = r.samples[0];
  EXPECT_EQ(s.input_ids.back(), llama2().eos_id());
  EXPECT_EQ(s.labels.back(), llama2().eos_id());
  EXPECT_EQ(trained_texts(s, llama2()), (std::vector<std::string>{"Hello!\n", "Goodbye.\n"}));
}

TEST(SharegptStyleInstructionHandler, TrailingQuestionIsDroppedAndTopLevelSystemUsed) {
  const json rec = {{"system", "Be kind."},
                    {"conversations",
                     {{{"from", "user"}, {"value", "Q"}},
                      {{"from", "assistant"}, {"value", "A"}},
                      {{"from", "human"}, {"value", "unanswered"}}}}};
  const HandledRecord r = handle_ok(chat_options("chatml"), rec);
  const InstructionSample e = from_segments(
      prompt_template("chatml").render("Be kind.", {{Role::kUser, "Q"}, {Role::kAssistant, "A"}}));
  EXPECT_EQ(r.samples[0].input_ids, e.input_ids);
}

TEST(SharegptStyleInstructionHandler, OpenAiContentParts) {
  const json rec = {{"messages",
                     {{{"role", "user"},
                       {"content",
                        {{{"type", "text"}, {"text", "Describe "}},
                         {{"type", "image_url"}, {"image_url", "x.png"}},
                         {{"type", "text"}, {"text", "this."}}}}},
                      {{"role", "assistant"}, {"content", "A cat."}}}}};
  const HandledRecord r = handle_ok(chat_options("chatml"), rec);
  const InstructionSample e = from_segments(prompt_template("chatml").render(
      "", {{Role::kUser, "Describe this."}, {Role::kAssistant, "A cat."}}));
  EXPECT_EQ(r.samples[0].input_ids, e.input_ids);
}

TEST(SharegptStyleInstructionHandler, BadConversations) {
  const PreprocessOptions o = chat_options("chatml");
  EXPECT_EQ(handle_bad(o, {{"text", "x"}}).reason, Problem::kMissingKey);
  EXPECT_EQ(handle_bad(o, {{"conversations", "x"}}).reason, Problem::kNotAString);
  EXPECT_EQ(handle_bad(o, {{"conversations", {{{"from", "human"}, {"value", "q"}}}}}).reason,
            Problem::kEmptyText);
  EXPECT_EQ(handle_bad(o, {{"conversations", json::array()}}).reason, Problem::kEmptyText);
  const HandlerProblem role =
      handle_bad(o, {{"conversations", {{{"from", "robot"}, {"value", "q"}}}}});
  EXPECT_EQ(role.reason, Problem::kNotAString);
  EXPECT_EQ(role.message, "conversations[0].from: unknown role 'robot'");
  EXPECT_EQ(handle_bad(o, {{"conversations", {{{"from", "human"}}}}}).reason, Problem::kMissingKey);
  EXPECT_EQ(handle_bad(o, {{"messages", {{{"role", "user"}, {"content", 1}}}}}).reason,
            Problem::kNotAString);
  EXPECT_EQ(handle_bad(o, {{"conversations",
                            {{{"from", "human"}, {"value", std::string("\xFF")}},
                             {{"from", "gpt"}, {"value", "a"}}}}})
                .reason,
            Problem::kInvalidUtf8);
}

TEST(AlpacaStyleInstructionHandler, HistoryAndSystemUnderATemplate) {
  const PreprocessOptions o = chat_options("chatml", "AlpacaStyleInstructionHandler");
  const json rec = {
      {"instruction", "And of Italy?"},
      {"input", ""},
      {"output", "Rome."},
      {"system", "Answer briefly."},
      {"history", json::array({json::array({"What is the capital of France?", "Paris."})})}};
  const HandledRecord r = handle_ok(o, rec);
  const InstructionSample e =
      from_segments(prompt_template("chatml").render("Answer briefly.", kTurns));
  EXPECT_EQ(r.samples[0].input_ids, e.input_ids);
  EXPECT_EQ(r.samples[0].labels, e.labels);
  // instruction and input joined by "\n".
  const HandledRecord two =
      handle_ok(o, {{"instruction", "Sum:"}, {"input", "2 3"}, {"output", "5"}});
  EXPECT_EQ(two.samples[0].input_ids,
            from_segments(prompt_template("chatml").render(
                              "", {{Role::kUser, "Sum:\n2 3"}, {Role::kAssistant, "5"}}))
                .input_ids);
  EXPECT_EQ(handle_bad(o, {{"instruction", "q"},
                           {"output", "a"},
                           {"history", json::array({json::array({"only one"})})}})
                .reason,
            Problem::kNotAString);
}

TEST(ChatHandlers, PromptTypeOnlyForTemplateHandlers) {
  PreprocessOptions o;
  o.input = "x.jsonl";
  o.output_prefix = "out";
  o.tokenizer_path = "t.model";
  o.handler_name = "GeneralInstructionHandler";
  o.prompt_type = "chatml";
  expect_error([&] { o.validate(); },
               {"[preprocess]", "--prompt-type", "GeneralInstructionHandler"});
  o.handler_name = "SharegptStyleInstructionHandler";
  o.prompt_type = "vicuna";
  expect_error([&] { o.validate(); }, {"--prompt-type", "vicuna"});
}

}  // namespace
}  // namespace ascent::preprocess::testing
