#include "core/parse_number.h"

#include <algorithm>
#include <cctype>
#include <exception>

namespace ascent {
namespace {

// std::stoll / std::stod with the whole-text rule (they would skip leading blanks; they throw on
// overflow and when there are no digits).
template <typename T, typename Parse>
std::optional<T> parse_whole(const std::string& text, Parse parse) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  size_t used = 0;
  T v{};
  try {
    v = parse(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used == 0 || used != text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<int64_t> parse_whole_int(const std::string& text) {
  return parse_whole<int64_t>(text, [](const std::string& t, size_t* used) {
    return static_cast<int64_t>(std::stoll(t, used));
  });
}

std::optional<double> parse_whole_double(const std::string& text) {
  return parse_whole<double>(text,
                             [](const std::string& t, size_t* used) { return std::stod(t, used); });
}

std::optional<std::vector<int64_t>> parse_int_list(const std::string& s, std::string* bad) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = std::min(s.find(',', start), s.size());
    const std::string item = s.substr(start, comma - start);
    const std::optional<int64_t> v = parse_whole_int(item);
    if (!v) {
      *bad = item;
      return std::nullopt;
    }
    out.push_back(*v);
    start = comma + 1;
  }
  return out;
}

}  // namespace ascent
