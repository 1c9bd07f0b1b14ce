#include "tokenizer/hf/byte_level.h"

#include <array>

#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf::byte_level {
namespace {

struct Tables {
  std::array<uint32_t, 256> to_char{};
  std::array<int16_t, 512> to_byte{};
  std::array<char, 512> utf8{};  // two bytes per entry
  std::array<uint8_t, 256> utf8_len{};

  Tables() {
    to_byte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_char[b] = printable ? static_cast<uint32_t>(b) : next++;
      to_byte[to_char[b]] = static_cast<int16_t>(b);
      std::string s;
      utf8_append(s, to_char[b]);
      utf8_len[b] = static_cast<uint8_t>(s.size());
      for (size_t k = 0; k < s.size(); ++k) utf8[2 * b + k] = s[k];
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

uint32_t char_of(uint8_t b) { return tables().to_char[b]; }

int byte_of(uint32_t cp) { return cp < 512 ? tables().to_byte[cp] : -1; }

std::string_view utf8_of(uint8_t b) {
  const Tables& t = tables();
  return std::string_view(t.utf8.data() + 2 * b, t.utf8_len[b]);
}

void encode(std::string_view bytes, std::string& out) {
  const Tables& t = tables();
  for (const char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out.append(t.utf8.data() + 2 * b, t.utf8_len[b]);
  }
}

}  // namespace ascent::tokenizer::hf::byte_level
