#include "cli/flag_registration.h"

#include <type_traits>

namespace ascent::cli {
namespace {

CLI::Option* add_flag(CLI::App& cmd, const flags::Flag& f) {
  return std::visit(
      [&](auto* member) -> CLI::Option* {
        using T = std::remove_pointer_t<decltype(member)>;
        if constexpr (std::is_same_v<T, bool>) {
          return cmd.add_flag(f.name, *member, f.help);
        } else {
          CLI::Option* o = cmd.add_option(f.name, *member, f.help);
          // Shown in --help only; CLI11 never assigns it (the member already holds it).
          if (!f.default_text.empty()) o->default_str(f.default_text);
          return o;
        }
      },
      f.target);
}

}  // namespace

std::vector<CLI::Option*> add_flags(CLI::App& cmd, const flags::Table& table) {
  std::vector<CLI::Option*> options;
  for (const flags::Flag& f : table.flags()) options.push_back(add_flag(cmd, f));
  return options;
}

flags::GivenFlags given_flags(const flags::Table& table, const std::vector<CLI::Option*>& options) {
  flags::GivenFlags given;
  const std::vector<flags::Flag>& fs = table.flags();
  for (size_t i = 0; i < fs.size() && i < options.size(); ++i)
    if (options[i]->count() > 0) given.insert(fs[i].name);
  return given;
}

}  // namespace ascent::cli
