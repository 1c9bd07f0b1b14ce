#pragma once
// UTF-8 and character classes with the meanings HF `tokenizers` (Rust) gives them, so that the
// C++ pipeline splits and strips exactly where the library does.
#include <cstdint>
#include <string>
#include <string_view>

namespace ascent::tokenizer::hf {

// Length of the UTF-8 sequence that starts with lead byte `b` (1 for a stray continuation byte).
inline int utf8_length(uint8_t b) {
  if (b < 0x80) return 1;
  if (b < 0xE0) return b < 0xC0 ? 1 : 2;
  return b < 0xF0 ? 3 : 4;
}

// The code point at s[i], which must start a valid UTF-8 sequence; sets *len to its byte length.
inline uint32_t utf8_decode(std::string_view s, size_t i, int* len) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data()) + i;
  if (p[0] < 0x80) {
    *len = 1;
    return p[0];
  }
  if (p[0] < 0xE0) {
    *len = 2;
    return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  }
  if (p[0] < 0xF0) {
    *len = 3;
    return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  }
  *len = 4;
  return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

inline void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Byte length of the valid UTF-8 prefix of s (s.size() when all of s is valid).
size_t utf8_valid_prefix(std::string_view s);
inline bool is_valid_utf8(std::string_view s) { return utf8_valid_prefix(s) == s.size(); }

// Appends s with every invalid sequence replaced by U+FFFD, one per maximal invalid subpart:
// exactly Rust's String::from_utf8_lossy.
void append_utf8_lossy(std::string& out, std::string_view s);

// Rust char::is_whitespace (the Unicode White_Space property).
bool is_whitespace(uint32_t cp);
// Rust char::is_numeric: general category Nd, Nl or No.
bool is_numeric(uint32_t cp);
// HF's punctuation test: ASCII punctuation or any general category P*.
bool is_punctuation(uint32_t cp);
// `\w` of Rust's regex crate: letters, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(uint32_t cp);

}  // namespace ascent::tokenizer::hf
