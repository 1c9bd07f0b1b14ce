#pragma once
// The CLI11 side of flag tables (core/flags.h): one option per flag, bound to the flag's member,
// with the table's help text and its default shown in --help.
#include <CLI/CLI.hpp>

#include "core/flags.h"

namespace ascent::cli {

// Adds every flag of `table` to `cmd`: a bool member as a switch, a list member as an option
// taking one or more values, anything else as an option taking one value. The members must
// outlive `cmd`'s parsing. Returns the options added, in table order.
std::vector<CLI::Option*> add_flags(CLI::App& cmd, const flags::Table& table);

// After parsing: the names of the flags of `table` whose options (as add_flags returned them, in
// the same order) were given at least once, on the command line or from a --config file.
flags::GivenFlags given_flags(const flags::Table& table, const std::vector<CLI::Option*>& options);

}  // namespace ascent::cli
