#pragma once
// Exercises a loaded tokenizer the way preprocess, generate and the tests do: encode (with and
// without special tokens), decode what came out, and look up pieces.
#include <string_view>

#include "tokenizer/tokenizer.h"

namespace ascent::fuzz {

void use_tokenizer(const tokenizer::Tokenizer& tok, std::string_view text);

}  // namespace ascent::fuzz
