#pragma once
// String operations with Python's semantics, so handlers build exactly the prompts AscendSpeed's
// Python handlers build (str.strip, str.split, str.rsplit, str.replace), plus UTF-8 validation.
// Separators are ASCII in every handler, so byte-wise operations on UTF-8 equal Python's
// code-point operations.
#include <string>
#include <string_view>
#include <vector>

namespace ascent::preprocess::text {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);

// Python's str.strip() with no argument: removes leading and trailing characters for which
// str.isspace() is true (ASCII whitespace, U+001C..U+001F, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Requires valid UTF-8.
std::string_view strip(std::string_view s);

// Python's s.split(sep) for a non-empty sep: every piece, including empty ones.
std::vector<std::string_view> split(std::string_view s, std::string_view sep);

// Python's s.split(sep, maxsplit=1)[0] and s.rsplit(sep, maxsplit=1)[0]: the text before the
// first / last occurrence of sep, or all of s when sep does not occur.
std::string_view before_first(std::string_view s, std::string_view sep);
std::string_view before_last(std::string_view s, std::string_view sep);

// Python's s.replace(from, to) for a non-empty `from`.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to);

}  // namespace ascent::preprocess::text
