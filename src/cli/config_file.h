#pragma once
// `--config FILE`: a TOML file whose keys are flag names (`seq-length = 256`,
// `data-path = ["1", "a", "2", "b"]`, `bf16 = true`). The file's flags are spliced into the
// command line right after the subcommand, so flags given explicitly on the command line win.
// The reader is strict: top-level `key = value` lines only (values: strings, numbers, booleans,
// arrays of them); a [section] header, a key set twice, an unquoted word or a key that is no flag
// of the subcommand is an error naming the file and the line.
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ascent::cli {

// Returns argv with every `--config FILE` (or `--config=FILE`) replaced by the file's flags.
// `app`, when given, is the parser: each key must then be a flag of the subcommand argv[1].
// Throws ascent::Error "[config] FILE:LINE: ..." for an unreadable file or a line that is not
// `flag = value`.
std::vector<std::string> expand_config_files(int argc, char** argv, const CLI::App* app = nullptr);

}  // namespace ascent::cli
