#include "cli/token_ids.h"

#include <climits>
#include <exception>
#include <sstream>

#include "core/error.h"

namespace ascent::cli {

std::vector<int32_t> parse_token_ids(std::string s, const std::string& flag) {
  for (char& c : s)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::istringstream in(s);
  std::vector<int32_t> ids;
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || v < INT32_MIN || v > INT32_MAX)
      throw error("[tokenizer] ", flag, ": '", word, "' is not a token id");
    ids.push_back(static_cast<int32_t>(v));
  }
  return ids;
}

std::string format_token_ids(const std::vector<int32_t>& ids) {
  std::string line;
  for (const int32_t id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
  return line;
}

}  // namespace ascent::cli
