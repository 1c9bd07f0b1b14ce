#include "core/int_list.h"

#include <algorithm>
#include <exception>

namespace ascent {

std::optional<std::vector<int64_t>> parse_int_list(const std::string& s, std::string* bad) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = std::min(s.find(',', start), s.size());
    const std::string item = s.substr(start, comma - start);
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) {
      *bad = item;
      return std::nullopt;
    }
    out.push_back(v);
    start = comma + 1;
  }
  return out;
}

}  // namespace ascent
