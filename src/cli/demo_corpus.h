#pragma once
// The tiny Shakespeare corpus (data/tinyshakespeare.txt), embedded in the binary at build time so
// `ascent train` with no arguments works from any directory.
#include <string_view>

namespace ascent::cli {

std::string_view demo_corpus();

}  // namespace ascent::cli
