#pragma once
// Each subcommand lives in its own file (cli/<name>.cpp) and registers itself on the CLI11 app;
// its callback runs the job and throws ascent::Error on bad input (main prints it, exits non-zero).
#include <CLI/CLI.hpp>
#include <string>

namespace ascent::cli {

void add_plan_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_tokenizer_command(CLI::App& app);
void add_preprocess_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
// --version, `ascent version` and `ascent env` (cli/version.cpp).
void add_version_commands(CLI::App& app);
std::string version_text();
std::string env_text();
void add_plot_command(CLI::App& app);

}  // namespace ascent::cli
