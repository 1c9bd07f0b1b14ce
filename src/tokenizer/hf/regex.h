#pragma once
// HF `tokenizers` regexes (Oniguruma syntax) run by PCRE2 with JIT.
//
// The pattern is translated where the two engines read the same text differently: Oniguruma's
// Unicode `\s` also matches U+0085, its `\w` covers marks and all numbers, its `\h` is a hex digit
// and its `(?m)` is PCRE2's `(?s)`. Matching follows Oniguruma's find_iter: an empty match right
// where the previous match ended is skipped. Thread-safe: match data is per thread.
#include <cstddef>
#include <string>
#include <string_view>

#include "tokenizer/hf/json_fields.h"

struct pcre2_real_code_8;

namespace ascent::tokenizer::hf {

// The PCRE2 form of an Oniguruma pattern (exposed for tests); throws std::invalid_argument for
// Oniguruma-only syntax PCRE2 would read differently (class intersection "&&").
std::string onig_to_pcre2(std::string_view pattern);
// A pattern matching `literal` exactly.
std::string escape_literal(std::string_view literal);

class Regex {
 public:
  // Compiles an Oniguruma-syntax pattern; a pattern PCRE2 rejects throws naming `at`.
  Regex(std::string_view pattern, const JsonPath& at);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Calls on_match(start, end) for each match of `text` (valid UTF-8), left to right.
  template <class F>
  void for_each_match(std::string_view text, F&& on_match) const {
    size_t from = 0, last_end = SIZE_MAX;
    while (from <= text.size()) {
      size_t start = 0, end = 0;
      if (!find(text, from, &start, &end)) return;
      if (start == end && end == last_end) {  // no empty match right after the previous one
        from = next_char(text, from);
        continue;
      }
      on_match(start, end);
      from = last_end = end;
    }
  }

 private:
  bool find(std::string_view text, size_t from, size_t* start, size_t* end) const;
  static size_t next_char(std::string_view text, size_t i);

  pcre2_real_code_8* code_ = nullptr;
  bool jit_ = false;
  std::string where_;
};

}  // namespace ascent::tokenizer::hf
