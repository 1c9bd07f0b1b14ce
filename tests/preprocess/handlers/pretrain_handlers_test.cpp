// Pretraining handlers on in-memory records.
#include <gtest/gtest.h>

#include "preprocess/handlers/handler_test_util.h"

namespace ascent::preprocess::testing {
namespace {

using data::readers::Problem;
using json = nlohmann::json;

TEST(GeneralPretrainHandler, EachKeyIsADocumentAndEmptyTextsHaveNone) {
  PreprocessOptions o = handler_options("GeneralPretrainHandler");
  o.json_keys = {"text", "title"};
  o.append_eod = true;
  const HandledRecord r = handle_ok(o, {{"text", "Hello world"}, {"title", ""}, {"x", 1}});
  ASSERT_EQ(r.docs.size(), 2u);
  EXPECT_EQ(r.docs[0], (std::vector<std::vector<int32_t>>{with_eos(encode("Hello world"))}));
  EXPECT_TRUE(r.docs[1].empty());  // Megatron writes no document for an empty text
  EXPECT_TRUE(r.samples.empty());
}

TEST(GeneralPretrainHandler, WithoutEodAndWithMapKeys) {
  PreprocessOptions o = handler_options("GeneralPretrainHandler");
  o.json_keys = {"text"};
  o.map_keys = {{"text", "content"}};
  const HandledRecord r = handle_ok(o, {{"content", "line\nbreak 你好 😀"}});
  EXPECT_EQ(r.docs,
            (std::vector<std::vector<std::vector<int32_t>>>{{encode("line\nbreak 你好 😀")}}));
}

TEST(GeneralPretrainHandler, BadRecords) {
  PreprocessOptions o = handler_options("GeneralPretrainHandler");
  HandlerProblem p = handle_bad(o, {{"title", "no text"}});
  EXPECT_EQ(p.reason, Problem::kMissingKey);
  EXPECT_EQ(p.message, "missing key 'text' (the record has keys 'title')");
  p = handle_bad(o, {{"text", nullptr}});
  EXPECT_EQ(p.reason, Problem::kMissingKey);
  p = handle_bad(o, {{"text", 42}});
  EXPECT_EQ(p.reason, Problem::kNotAString);
  EXPECT_EQ(p.message, "key 'text' is not a string (number)");
  p = handle_bad(o, {{"text", ""}});
  EXPECT_EQ(p.reason, Problem::kEmptyText);
  p = handle_bad(o, {{"text", std::string("bad \xFF byte")}});
  EXPECT_EQ(p.reason, Problem::kInvalidUtf8);
  o.json_keys = {"a", "b"};
  p = handle_bad(o, {{"a", ""}, {"b", ""}});
  EXPECT_EQ(p.reason, Problem::kEmptyText);
  EXPECT_EQ(p.message, "every --json-keys field is empty");
}

TEST(GeneralPretrainHandler, TextRecords) {
  PreprocessOptions o = handler_options("GeneralPretrainHandler");
  const auto h = make_handler(o, llama2_encoder());
  HandledRecord r;
  EXPECT_FALSE(h->handle_text("  indented text", r));
  EXPECT_EQ(r.docs, (std::vector<std::vector<std::vector<int32_t>>>{{encode("  indented text")}}));
  const auto p = h->handle_text("\xC3\x28", r);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, Problem::kInvalidUtf8);
  o.json_keys = {"a", "b"};
  const auto two = make_handler(o, llama2_encoder());
  expect_error([&] { two->handle_text("x", r); }, {"[preprocess]", "--json-keys", "2 keys"});
}

TEST(AlpacaPretrainHandler, VicunaStyleTextAsAscendSpeedFormatsIt) {
  PreprocessOptions o = handler_options("AlpacaPretrainHandler");
  o.append_eod = true;
  const std::string head =
      "A chat between a curious user and an artificial intelligence assistant. The assistant "
      "gives helpful, detailed, and polite answers to the user's questions.USER: Below is an "
      "instruction that describes a task. Write a response that appropriately completes the "
      "request.\n\n### Instruction:\n";
  HandledRecord r = handle_ok(o, {{"instruction", "Add"}, {"input", "2 3"}, {"output", "5"}});
  EXPECT_EQ(r.docs[0][0],
            with_eos(encode(head + "Add\n\n### Input:\n2 3\n\n### Response: ASSISTANT: 5")));
  // Python formats the missing input as None.
  r = handle_ok(o, {{"instruction", "Add"}, {"input", ""}, {"output", "5"}});
  EXPECT_EQ(r.docs[0][0], with_eos(encode(head + "Add\n\n###None\n\n### Response: ASSISTANT: 5")));
  r = handle_ok(o, {{"instruction", "Add"}, {"output", "5"}});
  EXPECT_EQ(r.docs[0][0], with_eos(encode(head + "Add\n\n###None\n\n### Response: ASSISTANT: 5")));
  EXPECT_EQ(handle_bad(o, {{"instruction", "Add"}}).reason, Problem::kMissingKey);
  EXPECT_EQ(make_handler(o, llama2_encoder())->output_keys(), std::vector<std::string>{"text"});
}

TEST(StackOverflowPythonPretrainHandler, QuestionAndAnswerInOneText) {
  const PreprocessOptions o = handler_options("StackOverflowPythonPretrainHandler");
  const HandledRecord r = handle_ok(
      o, {{"title", "Sort a dict"}, {"question_body", "How?"}, {"answer_body", "sorted()"}});
  EXPECT_EQ(r.docs[0][0],
            encode("In python, Sort a dict\n### Question:\nHow?\n### Response:\nsorted()\n"));
}

}  // namespace
}  // namespace ascent::preprocess::testing
