#pragma once
// HF normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace (string or regex), Strip,
// StripAccents, ByteLevel and Sequence. They rewrite the text of one segment (the text between
// added tokens); offsets are not tracked because ascent only needs ids.
#include <memory>
#include <string>

#include "tokenizer/hf/json_fields.h"

namespace ascent::tokenizer::hf {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Rewrites `text` (valid UTF-8) in place. Thread-safe.
  virtual void normalize(std::string& text) const = 0;
};

// The normalizer described by `j` (tokenizer.json "normalizer"); nullptr for JSON null.
// Throws ascent::Error naming `at` for an unknown "type" or a bad field.
std::unique_ptr<Normalizer> make_normalizer(const Json& j, const JsonPath& at);

// Unicode normalization forms through utf8proc; NFC skips text that is already NFC.
enum class UnicodeForm { kNFC, kNFD, kNFKC, kNFKD };
void unicode_normalize(UnicodeForm form, std::string& text);

}  // namespace ascent::tokenizer::hf
