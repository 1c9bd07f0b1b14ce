#pragma once
// HF's added vocabulary: the tokenizer.json "added_tokens" (special tokens such as "<s>" or
// "<|im_start|>", and plain added tokens). Text is split on them before the model sees it:
// non-normalized tokens match the raw text, normalized ones the normalized text; leftmost match
// first, longest at a position, with single_word / lstrip / rstrip as HF applies them.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/hf/hashing.h"
#include "tokenizer/hf/json_fields.h"

namespace ascent::tokenizer::hf {

class BpeModel;
class Normalizer;

struct AddedToken {
  std::string content;
  bool single_word = false, lstrip = false, rstrip = false, normalized = true, special = false;
  bool operator==(const AddedToken&) const = default;
};

// Parses tokenizer.json's "added_tokens" list (the "id" fields are checked, HF assigns ids).
std::vector<AddedToken> parse_added_tokens(const Json& list, const JsonPath& at);

// Leftmost-longest matching of a fixed set of strings (a byte trie).
class TokenMatcher {
 public:
  void add(std::string_view pattern, int32_t id);
  bool empty() const { return nodes_.size() <= 1; }
  // The leftmost-longest match starting at or after `from`: sets [*start, *end) and *id.
  bool find(std::string_view text, size_t from, size_t* start, size_t* end, int32_t* id) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t id = -1;
  };
  int32_t child(int32_t node, uint8_t b) const;

  std::vector<Node> nodes_ = std::vector<Node>(1);
  bool first_byte_[256] = {};
};

class AddedVocabulary {
 public:
  // A stretch of text, or an added token (id >= 0) covering [begin, end).
  struct Segment {
    size_t begin, end;
    int32_t id;
  };

  // Registers `tokens` in order as HF does when it loads a tokenizer.json: a token already in the
  // model (or added before) keeps that id, a new one gets the next id after the vocabulary.
  // `normalizer` (may be null) normalizes the contents of normalized tokens for matching.
  AddedVocabulary(const std::vector<AddedToken>& tokens, const BpeModel& model,
                  const Normalizer* normalizer);

  // Splits raw text on the non-normalized tokens; replaces `out`.
  void split_raw(std::string_view text, std::vector<Segment>& out) const { split(raw_, text, out); }
  // Splits normalized text on the normalized tokens; replaces `out`.
  void split_normalized(std::string_view text, std::vector<Segment>& out) const {
    split(normalized_, text, out);
  }
  bool has_normalized_tokens() const { return !normalized_.empty(); }

  // The id of an added token's content, or -1.
  int32_t token_to_id(std::string_view content) const;
  // The token string of an added token's id, or nullptr: its content, normalized when the token
  // is (HF's id_to_token, which decode uses).
  const std::string* id_to_token(int32_t id) const;
  // Whether `token` is the content of a special token (decode skips those).
  bool is_special(std::string_view token) const;
  int32_t max_id() const { return max_id_; }

 private:
  void split(const TokenMatcher& matcher, std::string_view text, std::vector<Segment>& out) const;

  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> by_content_;
  std::unordered_map<int32_t, AddedToken> by_id_;
  std::unordered_map<int32_t, std::string> token_of_id_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> special_;
  TokenMatcher raw_, normalized_;
  int32_t max_id_ = -1;
};

}  // namespace ascent::tokenizer::hf
