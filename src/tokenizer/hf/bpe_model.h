#pragma once
// HF's BPE model: vocabulary, ranked merges, unknown-token handling (unk_token, fuse_unk,
// byte_fallback to <0xNN> tokens), ignore_merges and the continuing-subword prefix / end-of-word
// suffix. Merging picks the lowest-ranked adjacent pair, leftmost first, until none is left:
// exactly what HF's Word::merge_all computes.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/hf/hashing.h"
#include "tokenizer/hf/json_fields.h"

namespace ascent::tokenizer::hf {

// What a BPE model is built from (tokenizer.json's "model", or GPT-2's vocab.json + merges.txt).
struct BpeConfig {
  std::vector<std::pair<std::string, int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  std::string unk_token;  // empty: none
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

// Reads tokenizer.json's "model" object (type "BPE", or no type with vocab and merges). When the
// parser already took the vocabulary and merges out (`lists`), they are moved from there.
// Throws ascent::Error naming the field for a bad value or a non-null dropout.
struct TokenizerJson;
struct Pieces;
class WordCache;
BpeConfig parse_bpe_config(const Json& model, const JsonPath& at, TokenizerJson* lists);

class BpeModel {
 public:
  // Throws ascent::Error naming `at` when a merge refers to a token outside the vocabulary.
  BpeModel(BpeConfig config, const JsonPath& at);

  // Appends the ids of one pre-tokenized word. With `bytes_pending`, each byte of `word` stands
  // for its byte-level character (see Pieces::bytes_pending). Thread-safe.
  void tokenize(std::string_view word, bool bytes_pending, std::vector<int32_t>& out) const;
  // tokenize() for every piece, in order.
  void tokenize(const Pieces& pieces, std::vector<int32_t>& out) const;

  // The id of a vocabulary entry, or -1.
  int32_t token_to_id(std::string_view token) const;
  // The entry of `id`; false when no entry has that id.
  bool id_to_token(int32_t id, std::string_view* token) const;
  // Entries in the vocabulary (HF's get_vocab_size), and the largest id (-1 when empty).
  size_t size() const { return vocab_.size(); }
  int32_t max_id() const { return static_cast<int32_t>(tokens_.size()) - 1; }
  const std::string& unk_token() const { return unk_token_; }

 private:
  void tokenize_word_or_parts(std::string_view word, bool bytes_pending, WordCache& cache,
                              std::vector<int32_t>& out) const;
  void tokenize_word(std::string_view word, bool bytes_pending, WordCache& cache,
                     std::vector<int32_t>& out) const;
  void initial_symbols(std::string_view word, bool bytes_pending, std::vector<int32_t>& syms) const;
  void add_unknown(std::string_view piece, bool& unk_pending, std::vector<int32_t>& syms) const;
  void merge_small(std::vector<int32_t>& syms) const;
  void merge_large(std::vector<int32_t>& syms) const;

  StringTable vocab_;
  std::string token_text_;                            // every entry, back to back
  std::vector<std::pair<uint32_t, int32_t>> tokens_;  // id -> (offset, length); length -1: none
  PairMap merges_;
  std::string unk_token_;
  int32_t unk_id_ = -1;
  std::string prefix_, suffix_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  std::vector<int32_t> bmp_ids_;    // code point < 0x10000 -> id of that one-character token
  int32_t byte_char_ids_[256];      // byte -> id of its byte-level character
  int32_t byte_fallback_ids_[256];  // byte -> id of "<0xNN>"
  // No merge joins a symbol ending in another character to one starting with "▁" (true of
  // SentencePiece vocabularies): a long word splits before each such "▁" into parts that
  // tokenize independently, and the parts hit the word cache.
  bool split_at_metaspace_ = false;
  uint64_t uid_;       // keys this model's per-thread word cache
  std::string where_;  // the file, for errors at encode time
};

}  // namespace ascent::tokenizer::hf
