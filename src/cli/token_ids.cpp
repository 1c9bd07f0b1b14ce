#include "cli/token_ids.h"

#include <climits>
#include <sstream>

#include "core/error.h"
#include "core/parse_number.h"

namespace ascent::cli {

std::vector<int32_t> parse_token_ids(std::string s, const std::string& flag) {
  for (char& c : s)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::istringstream in(s);
  std::vector<int32_t> ids;
  std::string word;
  while (in >> word) {
    const std::optional<int64_t> v = parse_whole_int(word);
    if (!v || *v < INT32_MIN || *v > INT32_MAX)
      throw error("[tokenizer] ", flag, ": '", word, "' is not a token id");
    ids.push_back(static_cast<int32_t>(*v));
  }
  return ids;
}

std::string format_token_ids(const std::vector<int32_t>& ids) {
  std::string line;
  for (const int32_t id : ids) {
    if (!line.empty()) line += ' ';
    line += std::to_string(id);
  }
  return line;
}

}  // namespace ascent::cli
