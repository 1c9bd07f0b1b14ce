#pragma once
// A HuggingFace tokenizer.json tokenizer, implemented natively with the HF `tokenizers` library's
// exact behavior: added tokens split out first, then per segment normalizer -> pre-tokenizer ->
// BPE model; the post-processor only for encode_with_special_tokens; decode through the decoder
// with special tokens skipped.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/hf/json_fields.h"
#include "tokenizer/tokenizer.h"

namespace ascent::tokenizer::hf {

class AddedVocabulary;
class BpeModel;
class Decoder;
class Normalizer;
class PostProcessor;
class PreTokenizer;
struct TokenizerJson;

// Token names from tokenizer_config.json / special_tokens_map.json. nullopt: not given there;
// an empty string: given as null (no such token).
struct SpecialTokenNames {
  std::optional<std::string> bos, eos, pad, unk;
};

class HfTokenizer final : public Tokenizer {
 public:
  // Builds the tokenizer a tokenizer.json describes; `file` names it in errors. Throws
  // ascent::Error "[tokenizer] FILE: FIELD: ..." for anything unsupported or malformed.
  HfTokenizer(const Json& tokenizer_json, const std::string& file);
  ~HfTokenizer() override;

  // Reads and parses a tokenizer.json file.
  static std::unique_ptr<HfTokenizer> from_file(const std::string& file);
  // GPT-2's original files: the byte-level BPE HF builds from them (ByteLevel pre-tokenizer
  // without prefix space, ByteLevel decoder, "<|endoftext|>" special when in the vocabulary).
  static std::unique_ptr<HfTokenizer> from_gpt2_files(const std::string& vocab_json,
                                                      const std::string& merges_txt);

  // Sets BOS/EOS/PAD/UNK from token names (names absent from the vocabulary give -1).
  void set_special_tokens(const SpecialTokenNames& names);

  std::vector<int32_t> encode(std::string_view text) const override;
  std::vector<int32_t> encode_with_special_tokens(std::string_view text) const override;
  std::string decode(std::span<const int32_t> ids) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  int32_t pad_id() const override { return pad_id_; }
  int32_t unk_id() const override { return unk_id_; }
  // The token of `id` (an added token's content or the vocabulary entry); "" for an id inside
  // [0, vocab_size()) that no token has. Throws for an id outside that range.
  std::string id_to_piece(int32_t id) const override;

  // The id of a token (added tokens first, then the vocabulary), or -1.
  int32_t token_to_id(std::string_view token) const;
  const std::string& file() const { return file_; }

 private:
  explicit HfTokenizer(std::string file);
  void build(TokenizerJson& parsed);
  // Appends the ids of `text` with no post-processing.
  void encode_into(std::string_view text, std::vector<int32_t>& out) const;
  // Pre-tokenizes and tokenizes one normalized segment.
  void encode_segment(std::string_view segment, bool first, std::vector<int32_t>& out) const;
  void check_id(int32_t id) const;

  std::string file_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<AddedVocabulary> added_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  int64_t vocab_size_ = 0;
  int32_t bos_id_ = -1, eos_id_ = -1, pad_id_ = -1, unk_id_ = -1;
};

// Reads tokenizer_config.json, then special_tokens_map.json, of `dir` (either may be missing):
// bos_token / eos_token / pad_token / unk_token as strings or {"content": ...} objects.
SpecialTokenNames read_special_token_names(const std::string& dir);

// load_tokenizer's "PretrainedFromHF" and "GPT2BPETokenizer" (see tokenizer.h).
std::unique_ptr<Tokenizer> load_hf_tokenizer(const std::string& type, const std::string& path);
// tokenizer::load_gpt2_bpe_files (tokenizer.h).
std::unique_ptr<Tokenizer> load_gpt2_files(const std::string& vocab_file,
                                           const std::string& merge_file);

}  // namespace ascent::tokenizer::hf
