#pragma once
// HF pre-tokenizers: Split (string or regex, five delimiter behaviors, invert), ByteLevel,
// Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer,
// CharDelimiterSplit and Sequence. They cut one normalized segment into the words the model
// tokenizes, exactly where HF `tokenizers` cuts.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/hf/json_fields.h"

namespace ascent::tokenizer::hf {

// A pre-tokenized segment: words as [begin, end) byte ranges of `text`.
struct Pieces {
  struct Piece {
    uint32_t begin, end;
    bool first;  // starts at offset 0 of the original input (Metaspace's "first" scheme)
  };
  std::string text;
  std::vector<Piece> list;
  // Set by a final ByteLevel step: `text` still holds raw bytes, and each byte stands for its
  // byte-level character (the BPE model maps them itself; see BpeModel::tokenize).
  bool bytes_pending = false;

  std::string_view view(const Piece& p) const {
    return std::string_view(text).substr(p.begin, p.end - p.begin);
  }
  // Applies the pending byte-level mapping to `text`.
  void materialize_bytes();
};

// Metaspace's prepend_scheme: "always" (the default), "first" or "never". The older
// add_prefix_space flag may accompany it; false with a scheme other than "never" is an error, as
// in HF.
enum class PrependScheme { kAlways, kFirst, kNever };
PrependScheme parse_prepend_scheme(const Json& metaspace, const JsonPath& at);

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits (and for ByteLevel/Metaspace rewrites) the pieces; `scratch` is working space.
  // Thread-safe.
  virtual void pre_tokenize(Pieces& pieces, Pieces& scratch) const = 0;
};

// The pre-tokenizer described by `j` (tokenizer.json "pre_tokenizer"); nullptr for JSON null.
// With `defer_bytes`, a ByteLevel step that comes last leaves the byte mapping to the model.
// Throws ascent::Error naming `at` for an unknown "type" or a bad field.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& j, const JsonPath& at,
                                                 bool defer_bytes);

}  // namespace ascent::tokenizer::hf
