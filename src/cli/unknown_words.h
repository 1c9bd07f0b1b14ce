#pragma once
// Words of the command line that no command registers, refused before CLI11 parses them, with the
// nearest known names: CLI11's own message for these ("The following arguments were not expected:
// dense query_key_value --lora-target-modules", "A subcommand is required") names neither the
// offending word first nor what was meant.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ascent::cli {

// Up to `max` of `names` close to `word` (edit distance within about a third of its length, or
// one a prefix of the other), nearest first.
std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& names,
                                       size_t max = 3);

// A whole message for a name that is refused for a known reason ("" : none). `command` is the
// chosen subcommand's name ("train").
using ExplainRefusal =
    std::function<std::string(std::string_view command, std::string_view option)>;

// Checks `args` (program name first) against `app`: each command word must name a subcommand, and
// each long option ("--name" or "--name=value", up to a lone "--") must be one the chosen command
// registers. Throws ascent::Error:
//   "unknown command 'trian' (did you mean 'train'?)"
//   "[train] unknown option --lr-warmup (did you mean --lr-warmup-iters, --lr-warmup-fraction?)"
// or `explain`'s message when it has one.
void check_words(const CLI::App& app, const std::vector<std::string>& args,
                 const ExplainRefusal& explain = {});

}  // namespace ascent::cli
