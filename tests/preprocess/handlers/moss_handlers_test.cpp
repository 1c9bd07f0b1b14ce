// MOSSInstructionHandler and MOSSMultiTurnHandler on MOSS's own layout and on Firefly's.
#include <gtest/gtest.h>

#include "preprocess/handlers/handler_test_util.h"
#include "preprocess/prompt_templates.h"

namespace ascent::preprocess::testing {
namespace {

using data::readers::Problem;
using json = nlohmann::json;

// A MOSS record with n turns "q{i}" / "a{i}" wrapped in MOSS's markers, keys turn_1..turn_n.
json moss_record(int n) {
  json chat = json::object();
  for (int i = 1; i <= n; ++i)
    chat["turn_" + std::to_string(i)] = {{"Human", "<|Human|>: q" + std::to_string(i) + "<eoh>\n"},
                                         {"Inner Thoughts", "<|Inner Thoughts|>: None<eot>\n"},
                                         {"MOSS", "<|MOSS|>: a" + std::to_string(i) + "<eom>\n"}};
  return {{"conversation_id", 1}, {"meta_instruction", "You are MOSS."}, {"chat", chat}};
}

TEST(MOSSInstructionHandler, OneSequencePerTurnPrefixInNumericTurnOrder) {
  const PreprocessOptions o = handler_options("MOSSInstructionHandler");
  const HandledRecord r = handle_ok(o, moss_record(11));  // turn_10, turn_11 sort after turn_9
  ASSERT_EQ(r.samples.size(), 11u);
  std::vector<Message> msgs;
  for (int i = 1; i <= 11; ++i) {
    msgs.push_back({Role::kUser, "q" + std::to_string(i)});
    msgs.push_back({Role::kAssistant, "a" + std::to_string(i)});
    const std::string prompt = alpaca_training_prompt(msgs);
    const InstructionSample& s = r.samples[static_cast<size_t>(i - 1)];
    EXPECT_EQ(s.input_ids, encode(prompt)) << i;  // no EOS: the handler ignores --append-eod
    EXPECT_EQ(trained_texts(s, llama2()), std::vector<std::string>{"a" + std::to_string(i) + "\n"})
        << i;
  }
}

TEST(MOSSInstructionHandler, FireflyLayoutAndEmptyTurns) {
  const PreprocessOptions o = handler_options("MOSSInstructionHandler");
  const json rec = {{"conversation",
                     {{{"human", "你好"}, {"assistant", "你好！"}},
                      json::object(),
                      {{"human", " more "}, {"assistant", "ok"}}}}};
  const HandledRecord r = handle_ok(o, rec);
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(r.samples[1].input_ids, encode(alpaca_training_prompt({{Role::kUser, "你好"},
                                                                   {Role::kAssistant, "你好！"},
                                                                   {Role::kUser, "more"},
                                                                   {Role::kAssistant, "ok"}})));
  EXPECT_EQ(handle_bad(o, {{"chat", json::object()}}).reason, Problem::kEmptyText);
  EXPECT_EQ(handle_bad(o, {{"text", "x"}}).reason, Problem::kMissingKey);
  EXPECT_EQ(handle_bad(o, {{"chat", {{"turn_1", {{"Human", "q"}}}}}}).reason, Problem::kMissingKey);
  EXPECT_EQ(handle_bad(o, {{"chat", {{"turn_1", {{"Human", "q"}, {"MOSS", 5}}}}}}).reason,
            Problem::kNotAString);
}

TEST(MOSSMultiTurnHandler, BaichuanRoleIdsAndLabels) {
  const PreprocessOptions o = handler_options("MOSSMultiTurnHandler");
  const HandledRecord r = handle_ok(o, moss_record(2));
  ASSERT_EQ(r.samples.size(), 1u);
  const int32_t eos = llama2().eos_id();
  std::vector<int32_t> ids, labels;
  for (const char* turn : {"1", "2"}) {
    const auto u = encode(std::string("q") + turn), a = encode(std::string("a") + turn);
    ids.push_back(195);
    ids.insert(ids.end(), u.begin(), u.end());
    ids.push_back(196);
    ids.insert(ids.end(), a.begin(), a.end());
    labels.push_back(eos);
    labels.insert(labels.end(), u.size() + 1, kIgnoreLabel);
    labels.insert(labels.end(), a.begin(), a.end());
  }
  ids.push_back(eos);
  labels.push_back(eos);
  EXPECT_EQ(r.samples[0].input_ids, ids);
  EXPECT_EQ(r.samples[0].labels, labels);
}

}  // namespace
}  // namespace ascent::preprocess::testing
