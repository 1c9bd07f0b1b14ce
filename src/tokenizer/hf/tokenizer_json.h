#pragma once
// Parsing tokenizer.json. The BPE vocabulary and merges (hundreds of thousands of entries) go
// straight into flat lists instead of a JSON tree, which makes loading several times faster.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/hf/json_fields.h"

namespace ascent::tokenizer::hf {

struct TokenizerJson {
  Json root;  // the whole file; model.vocab / model.merges are null when taken out below
  bool vocab_taken = false, merges_taken = false;
  std::vector<std::pair<std::string, int32_t>> vocab;       // model.vocab in file order
  std::vector<std::pair<std::string, std::string>> merges;  // model.merges, "#version" skipped
};

// Parses tokenizer.json text; throws ascent::Error "[tokenizer] FILE: malformed JSON ..." or
// naming the bad model.vocab / model.merges entry.
TokenizerJson parse_tokenizer_json(std::string_view text, const std::string& file);

}  // namespace ascent::tokenizer::hf
