#pragma once
// Token ids on the command line: `ascent tokenize --decode` and `ascent tokenizer decode --ids`.
#include <cstdint>
#include <string>
#include <vector>

namespace ascent::cli {

// "1 2 3", "1,2,3" or "[1, 2, 3]"; throws "[tokenizer] FLAG: 'x' is not a token id".
std::vector<int32_t> parse_token_ids(std::string s, const std::string& flag);
// "1 2 3".
std::string format_token_ids(const std::vector<int32_t>& ids);

}  // namespace ascent::cli
