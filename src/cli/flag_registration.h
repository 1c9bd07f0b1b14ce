#pragma once
// The CLI11 side of flag tables (core/flags.h): one option per flag, bound to the flag's member,
// with the table's help text and its default shown in --help; and the flags accepted only for
// Megatron / AscendSpeed compatibility (train/compat_flags.h).
#include <CLI/CLI.hpp>
#include <utility>
#include <vector>

#include "core/flags.h"
#include "train/compat_flags.h"

namespace ascent::cli {

// Adds every flag of `table` to `cmd`: a bool member as a switch, a list member as an option
// taking one or more values, anything else as an option taking one value (an integer may be
// written with Python's digit separators, "220_000_000", as Megatron's scripts do). The members
// must outlive `cmd`'s parsing. Returns the options added, in table order.
std::vector<CLI::Option*> add_flags(CLI::App& cmd, const flags::Table& table);

// After parsing: the names of the flags of `table` whose options (as add_flags returned them, in
// the same order) were given at least once, on the command line or from a --config file.
flags::GivenFlags given_flags(const flags::Table& table, const std::vector<CLI::Option*>& options);
using CompatOptions = std::vector<std::pair<const CompatFlag*, const CLI::Option*>>;
// Adds each accepted row of compat_flags() (NoEffect, Ignored) that `cmd` does not register
// already (a flag that has a meaning here wins), in the --help group "Megatron / AscendSpeed
// compatibility", with the reason as its help.
CompatOptions add_compat_flags(CLI::App& cmd);
// After parsing: the rows whose flag was given, in table order.
std::vector<const CompatFlag*> given_compat_flags(const CompatOptions& options);

}  // namespace ascent::cli
