#pragma once
// `--config FILE`: a TOML (or INI) file whose keys are flag names (`seq-length = 256`,
// `data-path = ["1", "a", "2", "b"]`, `bf16 = true`). The file's flags are spliced into the
// command line right after the subcommand, so flags given explicitly on the command line win.
#include <string>
#include <vector>

namespace ascent::cli {

// Returns argv with every `--config FILE` (or `--config=FILE`) replaced by the file's flags.
// Throws ascent::Error "[config] FILE: ..." for an unreadable file or a malformed line.
std::vector<std::string> expand_config_files(int argc, char** argv);

}  // namespace ascent::cli
