#pragma once
// Hand-written matchers for the pre-tokenization regexes nearly every byte-level tokenizer uses
// (GPT-2's, LLaMA-3's and Qwen2/3's). They find exactly the matches the regex finds, about three
// times faster than PCRE2's JIT. Character classes come from PCRE2 itself (the same Unicode
// tables the regex path uses), built per 256-code-point block on first use.
#include <memory>
#include <string_view>

#include "tokenizer/hf/split.h"

namespace ascent::tokenizer::hf {

// GPT-2's pattern, the one the ByteLevel pre-tokenizer uses.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// LLaMA-3's (Qwen2/3 use the same with \p{N} instead of \p{N}{1,3}).
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A matcher for `pattern` when it is one of the three above, else nullptr.
std::unique_ptr<MatchFinder> make_known_pattern_finder(std::string_view pattern);

}  // namespace ascent::tokenizer::hf
