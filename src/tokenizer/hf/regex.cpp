#include "tokenizer/hf/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <stdexcept>

#include "core/error.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {
namespace {

// Oniguruma's Unicode whitespace: TAB..CR, NEL and the separators (Zs, Zl, Zp).
constexpr const char* kSpaceSet = "\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}";
// Oniguruma's Unicode word characters: letters, marks, numbers, connector punctuation.
constexpr const char* kWordSet = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
constexpr const char* kHexSet = "0-9a-fA-F";

// Per-thread match data and JIT stack, shared by every Regex (a match uses only group 0).
// The JIT stack may grow to 8 MiB: long runs of one character class backtrack deeply.
struct ThreadMatchState {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  ThreadMatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
  ~ThreadMatchState() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
};

ThreadMatchState& thread_state() {
  thread_local ThreadMatchState state;
  return state;
}

}  // namespace

std::string onig_to_pcre2(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 32);
  int class_depth = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      const bool in_class = class_depth > 0;
      const auto set = [&](const char* members, bool negate) {
        if (in_class) {
          if (negate) return false;  // PCRE2 keeps its own meaning inside a class
          out += members;
        } else {
          out += negate ? "[^" : "[";
          out += members;
          out += "]";
        }
        return true;
      };
      bool done = false;
      if (e == 's' || e == 'S') done = set(kSpaceSet, e == 'S');
      if (e == 'w' || e == 'W') done = set(kWordSet, e == 'W');
      if (e == 'h' || e == 'H') done = set(kHexSet, e == 'H');
      if (!done) {
        out += c;
        int len = 1;
        utf8_decode(p, i + 1, &len);
        out.append(p.substr(i + 1, len));
        i += len;
        continue;
      }
      ++i;
      continue;
    }
    if (c == '[') {
      ++class_depth;
      out += c;
      // A ']' right after '[' or '[^' is a literal member.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (c == '&' && class_depth > 0 && i + 1 < p.size() && p[i + 1] == '&')
      throw std::invalid_argument("class intersection '&&' (Oniguruma only) is not supported");
    if (c == ']' && class_depth > 0) {
      --class_depth;
      out += c;
      continue;
    }
    if (c == '(' && class_depth == 0 && i + 1 < p.size() && p[i + 1] == '?') {
      // Inline options: Oniguruma's (?m) is "dot matches newline", PCRE2's (?s).
      size_t j = i + 2;
      while (j < p.size() && (p[j] == 'i' || p[j] == 'm' || p[j] == 'x' || p[j] == '-')) ++j;
      if (j > i + 2 && j < p.size() && (p[j] == ':' || p[j] == ')')) {
        out += "(?";
        for (size_t k = i + 2; k < j; ++k) out += p[k] == 'm' ? 's' : p[k];
        i = j - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

std::string escape_literal(std::string_view literal) {
  // \Q...\E quotes everything except a literal "\E", which is spliced in escaped.
  std::string out = "\\Q";
  size_t i = 0;
  while (true) {
    const size_t e = literal.find("\\E", i);
    if (e == std::string_view::npos) {
      out.append(literal.substr(i));
      break;
    }
    out.append(literal.substr(i, e - i));
    out += "\\E\\\\E\\Q";
    i = e + 2;
  }
  out += "\\E";
  return out;
}

Regex::Regex(std::string_view pattern, const JsonPath& at) : where_(at.field()) {
  std::string translated;
  try {
    translated = onig_to_pcre2(pattern);
  } catch (const std::invalid_argument& e) {
    at.fail("cannot compile regex '" + std::string(pattern) + "': " + e.what());
  }
  int err = 0;
  PCRE2_SIZE offset = 0;
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                        PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
  if (code_ == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof(msg));
    at.fail("cannot compile regex '" + std::string(pattern) + "': " +
            reinterpret_cast<const char*>(msg) + " (at offset " + std::to_string(offset) + ")");
  }
  jit_ = pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() { pcre2_code_free(code_); }

size_t Regex::next_char(std::string_view text, size_t i) {
  if (i >= text.size()) return i + 1;
  return i + utf8_length(static_cast<uint8_t>(text[i]));
}

bool Regex::find(std::string_view text, size_t from, size_t* start, size_t* end) const {
  ThreadMatchState& st = thread_state();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  int rc;
  if (jit_) {
    rc = pcre2_jit_match(code_, subject, text.size(), from, 0, st.data, st.context);
  } else {
    rc = pcre2_match(code_, subject, text.size(), from, PCRE2_NO_UTF_CHECK, st.data, st.context);
  }
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof(msg));
    throw error("[tokenizer] ", where_,
                ": regex match failed: ", reinterpret_cast<const char*>(msg));
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.data);
  *start = ov[0];
  *end = ov[1];
  return true;
}

}  // namespace ascent::tokenizer::hf
