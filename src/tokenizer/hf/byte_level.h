#pragma once
// GPT-2's byte-level alphabet: every byte maps to one printable code point (printable Latin-1
// bytes to themselves, the other 68 bytes to U+0100 upwards in byte order), so any text becomes
// a string over 256 visible characters (' ' -> 'Ġ', '\n' -> 'Ċ').
#include <cstdint>
#include <string>
#include <string_view>

namespace ascent::tokenizer::hf::byte_level {

// The code point byte b maps to.
uint32_t char_of(uint8_t b);
// The byte that code point cp stands for, or -1 when cp is outside the alphabet.
int byte_of(uint32_t cp);
// Appends the byte-level characters of `bytes` (UTF-8 encoded).
void encode(std::string_view bytes, std::string& out);
// The UTF-8 bytes of char_of(b) (one or two bytes).
std::string_view utf8_of(uint8_t b);

}  // namespace ascent::tokenizer::hf::byte_level
