#include "preprocess/text_utils.h"

#include <cstdint>
#include <cstring>

#include "tokenizer/hf/unicode.h"

namespace ascent::preprocess::text {
namespace {

// Decodes the code point at s[i] (valid UTF-8 assumed), returning its length in bytes.
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    cp = b;
    return 1;
  }
  const size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  cp = b & (0x7F >> n);
  for (size_t k = 1; k < n && i + k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return n;
}

// Python's str.isspace: Rust's char::is_whitespace (the HF tokenizer's) plus the ASCII
// separators 0x1C-0x1F.
bool is_space(uint32_t cp) {
  if (cp >= 0x1C && cp <= 0x1F) return true;
  return tokenizer::hf::is_whitespace(cp);
}

// Start of the code point that ends at s[end - 1].
size_t start_of_last(std::string_view s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

bool valid_utf8(std::string_view s) { return tokenizer::hf::is_valid_utf8(s); }

std::string_view strip(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end) {
    uint32_t cp;
    const size_t n = decode(s, begin, cp);
    if (!is_space(cp)) break;
    begin += n;
  }
  while (end > begin) {
    const size_t start = start_of_last(s, end);
    uint32_t cp;
    decode(s, start, cp);
    if (!is_space(cp)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::vector<std::string_view> split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (;;) {
    const size_t hit = s.find(sep, pos);
    if (hit == std::string_view::npos) break;
    out.push_back(s.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  out.push_back(s.substr(pos));
  return out;
}

std::string_view before_first(std::string_view s, std::string_view sep) {
  const size_t hit = s.find(sep);
  return hit == std::string_view::npos ? s : s.substr(0, hit);
}

std::string_view before_last(std::string_view s, std::string_view sep) {
  const size_t hit = s.rfind(sep);
  return hit == std::string_view::npos ? s : s.substr(0, hit);
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (;;) {
    const size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

}  // namespace ascent::preprocess::text
