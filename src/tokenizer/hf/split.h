#pragma once
// The splitting step shared by the pre-tokenizers: find the delimiters in every piece, then keep,
// drop or attach them by HF's SplitDelimiterBehavior.
#include <string_view>

#include "tokenizer/hf/json_fields.h"
#include "tokenizer/hf/pre_tokenizers.h"

namespace ascent::tokenizer::hf {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Parses "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext" or "Contiguous".
SplitBehavior parse_behavior(const Json& obj, std::string_view key, const JsonPath& at);

// Receives the delimiters found in one piece: on_match(start, end), offsets within the piece,
// non-overlapping and increasing.
class MatchSink {
 public:
  virtual void on_match(size_t start, size_t end) = 0;

 protected:
  ~MatchSink() = default;
};

// Finds the delimiters of one piece.
class MatchFinder {
 public:
  virtual ~MatchFinder() = default;
  virtual void find(std::string_view piece, MatchSink& sink) const = 0;
};

// Replaces every piece of `pieces` by its parts; `scratch.list` is working space. The text is
// unchanged, empty parts are dropped (as HF's PreTokenizedString::split does).
void split_pieces(Pieces& pieces, Pieces& scratch, const MatchFinder& finder,
                  SplitBehavior behavior, bool invert);

}  // namespace ascent::tokenizer::hf
