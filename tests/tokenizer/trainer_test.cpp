// train_sentencepiece on tiny Shakespeare, checked against Python SentencePiece.
#include "tokenizer/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tokenizer/test_util.h"
#include "tokenizer/tokenizer.h"

namespace ascent::tokenizer {
namespace {

using ascent::testing::expect_error;
using ascent::testing::TestDir;

TrainOptions small_bpe(const TestDir& dir) {
  const std::string corpus = dir / "corpus.txt";
  ascent::testing::write_text(corpus,
                              ascent::testing::head_lines(ascent::testing::shakespeare(), 200'000));
  TrainOptions o;
  o.input = corpus;
  o.output_prefix = dir / "out/spm";  // the directory does not exist yet
  o.vocab_size = 500;
  o.model_type = "bpe";
  o.num_threads = 2;
  return o;
}

const std::vector<std::string> kProbe = {
    "First Citizen:", "Before we proceed any further, hear me speak.",
    "What say you to this, my lord? 1234", "  spaced   out\ttext ", "unseen: 你好 😀"};

TEST(TrainSentencePiece, BpeOnShakespeareMatchesPython) {
  TestDir dir;
  const TrainOptions o = small_bpe(dir);
  train_sentencepiece(o);
  ASSERT_TRUE(std::filesystem::exists(o.output_prefix + ".model"));
  ASSERT_TRUE(std::filesystem::exists(o.output_prefix + ".vocab"));

  const auto tok = load_tokenizer("SentencePiece", o.output_prefix + ".model");
  EXPECT_EQ(tok->vocab_size(), 500);
  EXPECT_EQ(tok->unk_id(), 0);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->pad_id(), -1);
  EXPECT_EQ(tok->id_to_piece(1), "<s>");

  // Python encodes with our model exactly as we do.
  const nlohmann::json ref =
      ascent::testing::oracle_encode(o.output_prefix + ".model", kProbe, dir);
  ASSERT_TRUE(ref.is_object());
  for (size_t i = 0; i < kProbe.size(); ++i)
    EXPECT_EQ(tok->encode(kProbe[i]), ref["results"][i]["ids"].get<std::vector<int32_t>>())
        << kProbe[i];
  // The probe has characters the corpus lacks: no byte fallback, so they are <unk>.
  const std::vector<int32_t> unseen = tok->encode("你");
  EXPECT_NE(std::find(unseen.begin(), unseen.end(), 0), unseen.end());

  // Python trained with the same options learns the same vocabulary.
  ASSERT_EQ(ascent::testing::run_oracle("train --input '" + o.input + "' --model-prefix '" +
                                            (dir / "py") + "' --vocab-size 500 --model-type bpe",
                                        dir / "train.log"),
            0)
      << ascent::testing::read_text(dir / "train.log");
  const auto py = load_tokenizer("SentencePiece", dir / "py.model");
  ASSERT_EQ(py->vocab_size(), tok->vocab_size());
  for (int32_t id = 0; id < tok->vocab_size(); ++id)
    ASSERT_EQ(tok->id_to_piece(id), py->id_to_piece(id)) << "id " << id;
}

TEST(TrainSentencePiece, DeterministicUnigramWithByteFallbackAndPad) {
  TestDir dir;
  TrainOptions o = small_bpe(dir);
  ascent::testing::write_text(o.input,
                              ascent::testing::head_lines(ascent::testing::shakespeare(), 60'000));
  o.model_type = "unigram";
  o.vocab_size = 400;
  o.byte_fallback = true;
  o.pad_id = 3;
  train_sentencepiece(o);
  const std::string first = ascent::testing::read_text(o.output_prefix + ".model");
  train_sentencepiece(o);
  EXPECT_EQ(ascent::testing::read_text(o.output_prefix + ".model"), first);

  const auto tok = load_tokenizer("SentencePiece", o.output_prefix + ".model");
  EXPECT_EQ(tok->vocab_size(), 400);
  EXPECT_EQ(tok->pad_id(), 3);
  EXPECT_EQ(tok->id_to_piece(4), "<0x00>");  // 256 byte pieces follow the specials
  // Byte fallback: an unseen character becomes its UTF-8 bytes, not <unk>.
  const std::vector<int32_t> ids = tok->encode("你");
  EXPECT_EQ(std::find(ids.begin(), ids.end(), tok->unk_id()), ids.end());
  EXPECT_EQ(tok->decode(ids), "你");
}

TEST(TrainSentencePiece, BadInputNamesTheFlagOrFile) {
  TestDir dir;
  TrainOptions o = small_bpe(dir);
  ascent::testing::write_text(o.input, "just a few words\nnot enough for a big vocabulary\n");

  TrainOptions missing = o;
  missing.input = dir / "nope.txt";
  expect_error([&] { train_sentencepiece(missing); }, {"[tokenizer]", "--input", "nope.txt"});

  TrainOptions empty = o;
  empty.input = dir / "empty.txt";
  ascent::testing::write_text(empty.input, "");
  expect_error([&] { train_sentencepiece(empty); }, {"--input", "empty.txt", "empty"});

  TrainOptions too_big = o;
  too_big.vocab_size = 5000;
  expect_error([&] { train_sentencepiece(too_big); }, {"--vocab-size", "corpus.txt", "too high"});

  TrainOptions too_small = o;
  too_small.vocab_size = 10;
  expect_error([&] { train_sentencepiece(too_small); }, {"--vocab-size", "corpus.txt"});

  TrainOptions type = o;
  type.model_type = "wordpiece";
  expect_error([&] { train_sentencepiece(type); }, {"--model-type", "wordpiece"});

  TrainOptions ids = o;
  ids.eos_id = 1;
  expect_error([&] { train_sentencepiece(ids); }, {"special ids"});
  ids = o;
  ids.pad_id = 500;
  expect_error([&] { train_sentencepiece(ids); }, {"--pad-id", "500"});

  TrainOptions coverage = o;
  coverage.character_coverage = 0.0;
  expect_error([&] { train_sentencepiece(coverage); }, {"--character-coverage"});
  EXPECT_FALSE(std::filesystem::exists(o.output_prefix + ".model"));
}

}  // namespace
}  // namespace ascent::tokenizer
