// ascent: one binary, one subcommand per job (DESIGN.md section 1).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/unknown_words.h"
#include "core/error.h"
#include "core/log.h"
#include "train/compat_flags.h"

int main(int argc, char** argv) {
  ascent::init_logging();
  CLI::App app{"ascent: train, fine-tune and run LLaMA-family models natively"};
  app.require_subcommand(1);
  ascent::cli::add_train_command(app);
  ascent::cli::add_convert_command(app);
  ascent::cli::add_plan_command(app);
  ascent::cli::add_generate_command(app);
  ascent::cli::add_tokenizer_command(app);
  ascent::cli::add_preprocess_command(app);
  ascent::cli::add_tokenize_command(app);
  ascent::cli::add_version_commands(app);
  ascent::cli::add_plot_command(app);
  try {
    std::vector<std::string> args = ascent::cli::expand_config_files(argc, argv, &app);
    // Unknown commands and options get their own message, with the nearest names; a flag of
    // Megatron's that `train` refuses says why (train/compat_flags.h).
    ascent::cli::check_words(app, args, [](std::string_view command, std::string_view option) {
      return command == "train" ? ascent::refusal_reason(option) : std::string();
    });
    std::vector<char*> ptrs;
    for (std::string& a : args) ptrs.push_back(a.data());
    app.parse(static_cast<int>(ptrs.size()), ptrs.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ascent::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
