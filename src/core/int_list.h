#pragma once
// Comma-separated integer lists on the command line: --manual-layers 5,6,6,5, --manual-mbs 1,2,3,2.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ascent {

// Splits `s` at every comma; each item must be a whole integer ("" and "1,,2" are not lists).
// On the first item that is not, returns nothing and stores that item in `*bad`, so the caller
// can name its flag in the error.
std::optional<std::vector<int64_t>> parse_int_list(const std::string& s, std::string* bad);

}  // namespace ascent
