#pragma once
// Reads a preprocess input file to its end, as `ascent preprocess` does: small batches, every
// record parsed to JSON, problems collected.
#include <string>
#include <vector>

namespace ascent::fuzz {

// Reads `path` twice: all columns, then only `columns` (when not empty).
void read_records(const std::string& path, const std::vector<std::string>& columns = {});

}  // namespace ascent::fuzz
