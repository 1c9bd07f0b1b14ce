// A run that would write nothing fails (non-zero exit in the CLI) instead of leaving empty
// datasets behind, and says why: the rejection reasons with the keys the records do have.
#include <gtest/gtest.h>

#include <filesystem>

#include "preprocess/pipeline.h"
#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {
namespace {

bool any_output(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".bin" || e.path().extension() == ".idx") return true;
  return false;
}

TEST(EmptyOutput, Gsm8kWithoutMapKeysIsAnErrorNamingTheKeysPresent) {
  TestDir dir;
  write_text(dir / "gsm.jsonl", first_lines(shared_data("gsm8k/train.jsonl"), 20));
  const PreprocessOptions o = options(dir / "gsm.jsonl", dir / "gsm", "GeneralInstructionHandler");
  expect_error(
      [&] { run_preprocess(o); },
      {"--input", "nothing to write", "20 records read, every one rejected", "missing_key 20",
       "missing key 'instruction'", "the record has keys 'answer', 'question'", "--map-keys"});
  EXPECT_FALSE(any_output(dir.str()));
  // With the mapping the same input is fine.
  PreprocessOptions mapped = o;
  mapped.map_keys = {{"instruction", "question"}, {"output", "answer"}};
  EXPECT_EQ(run_preprocess(mapped).documents, 20);
}

TEST(EmptyOutput, EmptyInputAndWrongJsonKeysAreErrors) {
  TestDir dir;
  write_text(dir / "empty.jsonl", "");
  expect_error([&] { run_preprocess(options(dir / "empty.jsonl", dir / "e")); },
               {"empty.jsonl", "nothing to write", "no records"});
  write_text(dir / "blank.txt", "\n\n");
  expect_error([&] { run_preprocess(options(dir / "blank.txt", dir / "b")); },
               {"nothing to write", "no records"});
  write_text(dir / "body.jsonl", "{\"body\": \"x\"}\n{\"body\": \"y\"}\n");
  expect_error(
      [&] { run_preprocess(options(dir / "body.jsonl", dir / "k")); },
      {"2 records read", "missing key 'text' (the record has keys 'body')", "--json-keys"});
  EXPECT_FALSE(any_output(dir.str()));
}

TEST(EmptyOutput, EverySequenceDroppedIsAnError) {
  TestDir dir;
  write_text(dir / "t.jsonl", "{\"text\": \"a few words here\"}\n");
  PreprocessOptions o = options(dir / "t.jsonl", dir / "t");
  o.seq_length = 2;
  o.seq_length_policy = SeqLengthPolicy::kDrop;
  expect_error([&] { run_preprocess(o); }, {"nothing to write", "--long-sequences drop"});
  o.seq_length_policy = SeqLengthPolicy::kKeep;  // the default keeps it
  EXPECT_EQ(run_preprocess(o).documents, 1);
}

}  // namespace
}  // namespace ascent::preprocess::testing
