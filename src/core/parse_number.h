#pragma once
// Numbers typed by users (flags, prompts, data-path weights): the whole text must be the number,
// so "5x", " 5" and "" are refused rather than read as 5 or 0.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ascent {

// A whole decimal integer that fits in int64_t; nothing otherwise.
std::optional<int64_t> parse_whole_int(const std::string& text);

// A whole floating-point number as std::stod reads it (also "inf", "nan", "1e3"); nothing
// otherwise, or when it overflows.
std::optional<double> parse_whole_double(const std::string& text);

// Splits `s` at every comma; each item must be a whole integer ("" and "1,,2" are not lists).
// On the first item that is not, returns nothing and stores that item in `*bad`, so the caller
// can name its flag in the error. Used for --manual-layers 5,6,6,5 and --manual-mbs 1,2,3,2.
std::optional<std::vector<int64_t>> parse_int_list(const std::string& s, std::string* bad);

}  // namespace ascent
