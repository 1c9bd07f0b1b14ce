#include "cli/config_file.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <fstream>

#include "core/error.h"

namespace ascent::cli {
namespace {

std::vector<std::string> flags_from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw error("[config] ", path, ": cannot read");
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const CLI::Error& e) {
    throw error("[config] ", path, ": ", e.what());
  }
  std::vector<std::string> out;
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    for (char c : item.name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        throw error("[config] ", path, ": '", item.name, "' is not a flag name");
    const std::string flag = "--" + item.name;
    if (item.inputs.size() == 1 && (item.inputs[0] == "true" || item.inputs[0] == "false")) {
      // `false` must reach a switch that is on by default (--exit-signal-handler).
      out.push_back(item.inputs[0] == "true" ? flag : flag + "=false");
      continue;
    }
    out.push_back(flag);
    for (const std::string& v : item.inputs) out.push_back(v);
  }
  return out;
}

}  // namespace

std::vector<std::string> expand_config_files(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::vector<std::string> out, from_files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config") {
      if (i + 1 >= args.size()) throw error("[config] --config needs a file name");
      const auto f = flags_from_file(args[++i]);
      from_files.insert(from_files.end(), f.begin(), f.end());
    } else if (a.rfind("--config=", 0) == 0) {
      const auto f = flags_from_file(a.substr(9));
      from_files.insert(from_files.end(), f.begin(), f.end());
    } else {
      out.push_back(a);
    }
  }
  if (from_files.empty() || out.size() < 2) return out;
  // Program name, subcommand, then the file's flags, then the command line's.
  out.insert(out.begin() + 2, from_files.begin(), from_files.end());
  return out;
}

}  // namespace ascent::cli
