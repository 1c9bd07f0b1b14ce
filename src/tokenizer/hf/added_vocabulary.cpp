#include "tokenizer/hf/added_vocabulary.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/hf/bpe_model.h"
#include "tokenizer/hf/normalizers.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {
namespace {

bool last_is_word(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80) --i;
  int len = 1;
  return is_word_char(utf8_decode(s, i, &len));
}

bool first_is_word(std::string_view s) {
  if (s.empty()) return false;
  int len = 1;
  return is_word_char(utf8_decode(s, 0, &len));
}

// Start of the whitespace run that ends s (s.size() when s does not end in whitespace).
size_t trailing_space_start(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t i = end - 1;
    while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80) --i;
    int len = 1;
    if (!is_whitespace(utf8_decode(s, i, &len))) break;
    end = i;
  }
  return end;
}

// Length of the whitespace run that starts s.
size_t leading_space_length(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    int len = 1;
    if (!is_whitespace(utf8_decode(s, i, &len))) break;
    i += len;
  }
  return i;
}

}  // namespace

std::vector<AddedToken> parse_added_tokens(const Json& list, const JsonPath& at) {
  std::vector<AddedToken> tokens;
  if (list.is_null()) return tokens;
  if (!list.is_array()) at.fail("expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const JsonPath t = at[i];
    const Json& j = list[i];
    require_object(j, t);
    uint_field(j, "id", t, 0);  // validated; HF recomputes ids on load
    AddedToken tok;
    tok.content = required_string(j, "content", t);
    tok.single_word = bool_field(j, "single_word", t, false);
    tok.lstrip = bool_field(j, "lstrip", t, false);
    tok.rstrip = bool_field(j, "rstrip", t, false);
    tok.special = bool_field(j, "special", t, false);
    tok.normalized = bool_field(j, "normalized", t, !tok.special);
    tokens.push_back(std::move(tok));
  }
  return tokens;
}

void TokenMatcher::add(std::string_view pattern, int32_t id) {
  if (pattern.empty()) return;
  int32_t node = 0;
  for (const char c : pattern) {
    const auto b = static_cast<uint8_t>(c);
    int32_t next = child(node, b);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& ch = nodes_[node].children;
      ch.insert(std::lower_bound(ch.begin(), ch.end(), std::make_pair(b, int32_t{-1})), {b, next});
    }
    node = next;
  }
  if (nodes_[node].id < 0) nodes_[node].id = id;  // the first of equal patterns wins
  first_byte_[static_cast<uint8_t>(pattern[0])] = true;
}

int32_t TokenMatcher::child(int32_t node, uint8_t b) const {
  const auto& ch = nodes_[node].children;
  const auto it = std::lower_bound(ch.begin(), ch.end(), std::make_pair(b, int32_t{-1}));
  return it != ch.end() && it->first == b ? it->second : -1;
}

bool TokenMatcher::find(std::string_view text, size_t from, size_t* start, size_t* end,
                        int32_t* id) const {
  if (empty()) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = from; i < text.size(); ++i) {
    if (!first_byte_[p[i]]) continue;
    int32_t node = 0, best_id = -1;
    size_t best_end = 0;
    for (size_t j = i; j < text.size(); ++j) {
      node = child(node, p[j]);
      if (node < 0) break;
      if (nodes_[node].id >= 0) {
        best_id = nodes_[node].id;
        best_end = j + 1;
      }
    }
    if (best_id >= 0) {
      *start = i;
      *end = best_end;
      *id = best_id;
      return true;
    }
  }
  return false;
}

AddedVocabulary::AddedVocabulary(const std::vector<AddedToken>& tokens, const BpeModel& model,
                                 const Normalizer* normalizer) {
  std::vector<AddedToken> specials, plain;  // in the order HF builds its matchers
  const auto model_size = static_cast<int32_t>(model.size());
  for (const AddedToken& tok : tokens) {
    if (tok.special && !tok.content.empty() && !special_.contains(tok.content)) {
      specials.push_back(tok);
      special_.insert(tok.content);
    }
    if (tok.content.empty()) continue;
    int32_t id = token_to_id(tok.content);
    if (id >= 0 && by_id_.at(id) == tok) continue;  // the very same token again
    if (id < 0) id = model.token_to_id(tok.content);
    if (id < 0) {
      if (max_id_ < 0)
        id = model_size;
      else
        id = max_id_ >= model_size || model_size == 0 ? max_id_ + 1 : model_size;
    }
    by_content_[tok.content] = id;
    by_id_[id] = tok;
    max_id_ = std::max(max_id_, id);
    if (!special_.contains(tok.content)) plain.push_back(tok);
  }
  for (const auto* list : {&specials, &plain}) {
    for (const AddedToken& tok : *list) {
      const int32_t id = token_to_id(tok.content);
      if (!tok.normalized) {
        raw_.add(tok.content, id);
        continue;
      }
      std::string content = tok.content;
      if (normalizer) normalizer->normalize(content);
      normalized_.add(content, id);
    }
  }
  for (const auto& [id, tok] : by_id_) {
    std::string content = tok.content;
    if (tok.normalized && normalizer) normalizer->normalize(content);
    token_of_id_[id] = std::move(content);
  }
}

int32_t AddedVocabulary::token_to_id(std::string_view content) const {
  const auto it = by_content_.find(content);
  return it == by_content_.end() ? -1 : it->second;
}

const std::string* AddedVocabulary::id_to_token(int32_t id) const {
  const auto it = token_of_id_.find(id);
  return it == token_of_id_.end() ? nullptr : &it->second;
}

bool AddedVocabulary::is_special(std::string_view content) const {
  return special_.find(content) != special_.end();
}

// HF's AddedVocabulary::find_matches.
void AddedVocabulary::split(const TokenMatcher& matcher, std::string_view text,
                            std::vector<Segment>& out) const {
  out.clear();
  size_t start_offset = 0, from = 0, start = 0, stop = 0;
  int32_t id = -1;
  while (matcher.find(text, from, &start, &stop, &id)) {
    from = stop;
    const AddedToken& tok = by_id_.at(id);
    if (tok.single_word) {
      const bool start_space = start == 0 || !last_is_word(text.substr(0, start));
      const bool stop_space = stop == text.size() || !first_is_word(text.substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (tok.lstrip) start = std::max(trailing_space_start(text.substr(0, start)), start_offset);
    if (tok.rstrip) stop += leading_space_length(text.substr(stop));
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, id});
    start_offset = stop;
  }
  if (start_offset != text.size()) out.push_back({start_offset, text.size(), -1});
}

}  // namespace ascent::tokenizer::hf
