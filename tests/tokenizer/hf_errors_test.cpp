// Bad HF tokenizer files: every error names the file and the field, and nothing crashes.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/hf/unicode.h"
#include "tokenizer/hf_test_util.h"
#include "tokenizer/tokenizer.h"

namespace ascent::tokenizer {
namespace {

using ascent::testing::expect_error;
using ascent::testing::TestDir;
using ascent::testing::write_text;
using Json = nlohmann::json;

// A small valid byte-level BPE; tests break one part of it.
Json small_tokenizer() {
  return Json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 6, "content": "<eos>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                      "use_regex": true},
    "post_processor": null,
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false,
              "byte_fallback": false, "vocab": {"a": 0, "b": 1, "ab": 2, "c": 3, "abc": 4,
              "\u0120": 5}, "merges": ["a b", "ab c"]}
  })");
}

// Writes j as DIR/tokenizer.json and expects loading the directory to fail with all of `parts`.
void expect_load_error(const TestDir& dir, const Json& j,
                       std::initializer_list<std::string> parts) {
  write_text(dir / "tokenizer.json", j.dump());
  std::vector<std::string> all = {"[tokenizer]", dir / "tokenizer.json"};
  all.insert(all.end(), parts.begin(), parts.end());
  try {
    load_tokenizer("PretrainedFromHF", dir.str());
  } catch (const ascent::Error& e) {
    for (const auto& p : all)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << p << "' not in: " << e.what();
    return;
  }
  ADD_FAILURE() << "no ascent::Error for " << j.dump().substr(0, 200);
}

TEST(HfErrors, SmallTokenizerIsValid) {
  TestDir dir;
  write_text(dir / "tokenizer.json", small_tokenizer().dump());
  const auto tok = load_tokenizer("PretrainedFromHF", dir.str());
  EXPECT_EQ(tok->encode("abc ab<eos>"), (std::vector<int32_t>{4, 5, 2, 6}));
  EXPECT_EQ(tok->eos_id(), -1);
  EXPECT_EQ(tok->vocab_size(), 7);
}

TEST(HfErrors, MissingAndMalformedFiles) {
  TestDir dir;
  expect_error([&] { load_tokenizer("PretrainedFromHF", dir.str()); },
               {"[tokenizer]", dir.str(), "tokenizer.json"});
  expect_error([&] { load_tokenizer("GPT2BPETokenizer", dir.str()); },
               {"[tokenizer]", dir.str(), "vocab.json"});
  expect_error([&] { load_tokenizer("PretrainedFromHF", dir / "nope.json"); },
               {"[tokenizer]", "nope.json", "no such file"});
  write_text(dir / "tokenizer.json", "{\"version\": \"1.0\", \"model\": {");
  expect_error([&] { load_tokenizer("PretrainedFromHF", dir.str()); },
               {"[tokenizer]", dir / "tokenizer.json", "malformed JSON"});
  write_text(dir / "tokenizer.json", "");
  expect_error([&] { load_tokenizer("PretrainedFromHF", dir.str()); },
               {"[tokenizer]", "tokenizer.json", "malformed JSON"});
  write_text(dir / "tokenizer.json", "[1, 2]");
  expect_error([&] { load_tokenizer("PretrainedFromHF", dir.str()); },
               {"[tokenizer]", "tokenizer.json", "object"});
  // A broken tokenizer_config.json is named too.
  write_text(dir / "tokenizer.json", small_tokenizer().dump());
  write_text(dir / "tokenizer_config.json", "{\"bos_token\": ");
  expect_error([&] { load_tokenizer("PretrainedFromHF", dir.str()); },
               {"[tokenizer]", "tokenizer_config.json", "malformed JSON"});
  write_text(dir / "tokenizer_config.json", "{\"bos_token\": 5}");
  expect_error([&] { load_tokenizer("PretrainedFromHF", dir.str()); },
               {"[tokenizer]", "tokenizer_config.json", "bos_token"});
  // A SentencePiece model is not a GPT-2 tokenizer.
  expect_error([&] { load_tokenizer("GPT2BPETokenizer", ascent::testing::llama2_model()); },
               {"[tokenizer]", "GPT2BPETokenizer", "tokenizer.model"});
}

TEST(HfErrors, UnsupportedComponentsNameTheirField) {
  TestDir dir;
  Json j = small_tokenizer();
  j["model"]["type"] = "WordPiece";
  expect_load_error(dir, j, {"model.type", "WordPiece", "BPE"});
  j["model"]["type"] = "Unigram";
  expect_load_error(dir, j, {"model.type", "Unigram"});
  j = small_tokenizer();
  j["model"]["dropout"] = 0.1;
  expect_load_error(dir, j, {"model.dropout", "null"});
  j = small_tokenizer();
  j["normalizer"] = {{"type", "BertNormalizer"}};
  expect_load_error(dir, j, {"normalizer.type", "BertNormalizer"});
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", {{{"type", "NFC"}}, {{"type", "Precompiled"}}}}};
  expect_load_error(dir, j, {"normalizer.normalizers[1].type", "Precompiled"});
  j = small_tokenizer();
  j["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
  expect_load_error(dir, j, {"pre_tokenizer.type", "UnicodeScripts"});
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}}}}};
  expect_load_error(dir, j, {"pre_tokenizer.pretokenizers[0].pattern.Regex", "(unclosed"});
  j["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"String", "x"}}}, {"behavior", "Sideways"}};
  expect_load_error(dir, j, {"pre_tokenizer.behavior", "Sideways"});
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "_"}, {"add_prefix_space", false}};
  expect_load_error(dir, j, {"pre_tokenizer.add_prefix_space", "prepend_scheme"});
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "ab"}};
  expect_load_error(dir, j, {"pre_tokenizer.replacement", "single character"});
  j = small_tokenizer();
  j["decoder"] = {{"type", "CTC"}};
  expect_load_error(dir, j, {"decoder.type", "CTC"});
  j = small_tokenizer();
  j["post_processor"] = {{"type", "TemplateProcessing"},
                         {"single", {{{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}}}},
                         {"special_tokens", Json::object()}};
  expect_load_error(dir, j, {"post_processor.special_tokens", "<bos>"});
  j["post_processor"] = {{"type", "Nope"}};
  expect_load_error(dir, j, {"post_processor.type", "Nope"});
  j = small_tokenizer();
  j["version"] = "2.0";
  expect_load_error(dir, j, {"version", "2.0"});
  j = small_tokenizer();
  j.erase("model");
  expect_load_error(dir, j, {"model", "missing"});
}

TEST(HfErrors, BadVocabularyAndMerges) {
  TestDir dir;
  Json j = small_tokenizer();
  j["model"]["merges"] = {"a b", "zz c"};
  expect_load_error(dir, j, {"model.merges[1]", "'zz'", "not in the vocabulary"});
  j["model"]["merges"] = Json::array({Json::array({"a", "b"}), Json::array({"b", "c"})});
  // ("b", "c") makes "bc", which is not in the vocabulary
  expect_load_error(dir, j, {"model.merges[1]", "'bc'"});
  j["model"]["merges"] = {"a b c"};
  expect_load_error(dir, j, {"model.merges[0]", "a b c"});
  j["model"]["merges"] = Json::array({Json::array({"a"})});
  expect_load_error(dir, j, {"model.merges[0]"});
  j = small_tokenizer();
  j["model"]["vocab"]["d"] = -4;
  expect_load_error(dir, j, {"model.vocab", "'d'"});
  j["model"]["vocab"]["d"] = "seven";
  expect_load_error(dir, j, {"model.vocab", "'d'"});
  j = small_tokenizer();
  j["model"]["vocab"] = {1, 2};
  expect_load_error(dir, j, {"model.vocab"});
  j = small_tokenizer();
  j["added_tokens"] = {{{"id", 9}}};
  expect_load_error(dir, j, {"added_tokens[0].content", "missing"});
  // GPT-2's files: the merges file is named.
  write_text(dir / "vocab.json", R"({"a": 0, "b": 1})");
  write_text(dir / "merges.txt", "#version: 0.2\na b\n");
  std::filesystem::remove(dir / "tokenizer.json");
  expect_error([&] { load_tokenizer("GPT2BPETokenizer", dir.str()); },
               {"[tokenizer]", "merges.txt", "'ab'"});
}

TEST(HfErrors, EncodeAndDecodeErrors) {
  TestDir dir;
  Json j = small_tokenizer();
  j["model"]["unk_token"] = "<unk>";  // not in the vocabulary: fails only when needed
  write_text(dir / "tokenizer.json", j.dump());
  const auto tok = load_tokenizer("PretrainedFromHF", dir.str());
  EXPECT_EQ(tok->encode("ab"), std::vector<int32_t>{2});
  expect_error([&] { tok->encode("xyz"); }, {"[tokenizer]", "unk_token", "<unk>"});
  expect_error(
      [&] {
        tok->decode(std::vector<int32_t>{0, 7});
      },
      {"[tokenizer]", "tokenizer.json", "7"});
  expect_error([&] { tok->decode(std::vector<int32_t>{-1}); }, {"-1"});
  expect_error([&] { tok->id_to_piece(99); }, {"99"});
}

// Random bytes (mostly invalid UTF-8, with pieces of special tokens) encode and decode without
// errors, to ids inside the vocabulary.
TEST(HfErrors, RandomBytesNeverFail) {
  const std::vector<std::string> pieces = {
      "<|", "|>", "<s>",  "</s",       "\xE2\x96\x81",  "\xE2\x96",          "\xF0\x9F", "'s",
      " ",  "\n", "\r\n", "e\xCC\x81", "<|endoftext|>", "<|begin_of_text|>", "<0x0A>"};
  for (const std::string family : {"llama3", "llama2"}) {
    const auto tok = load_tokenizer("PretrainedFromHF", ascent::testing::lenml_dir(family));
    std::mt19937 rng(5);
    for (int n = 0; n < 500; ++n) {
      std::string s;
      for (int k = 0, len = static_cast<int>(rng() % 40); k < len; ++k) {
        if (rng() % 3 == 0)
          s += pieces[rng() % pieces.size()];
        else
          s += static_cast<char>(rng() % 256);
      }
      for (const auto& ids : {tok->encode(s), tok->encode_with_special_tokens(s)}) {
        for (const int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok->vocab_size()) << id;
        const std::string text = tok->decode(ids);
        EXPECT_TRUE(hf::is_valid_utf8(text));
      }
    }
  }
}

}  // namespace
}  // namespace ascent::tokenizer
