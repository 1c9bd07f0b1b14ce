#include "cli/flag_registration.h"

#include <cctype>
#include <type_traits>

namespace ascent::cli {
namespace {

// "220_000_000" -> "220000000": Python's int() reads digit separators, and Megatron's scripts
// use them (TRAIN_SAMPLES=220_000_000). Anything else is left for the integer parser to judge.
CLI::Validator digit_separators() {
  return CLI::Validator(
      [](std::string& s) {
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
          const bool between_digits = s[i] == '_' && i > 0 && i + 1 < s.size() &&
                                      std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                                      std::isdigit(static_cast<unsigned char>(s[i + 1]));
          if (!between_digits) out += s[i];
        }
        s = out;
        return std::string();
      },
      "");
}

CLI::Option* add_flag(CLI::App& cmd, const flags::Flag& f) {
  return std::visit(
      [&](auto* member) -> CLI::Option* {
        using T = std::remove_pointer_t<decltype(member)>;
        if constexpr (std::is_same_v<T, bool>) {
          return cmd.add_flag(f.name, *member, f.help);
        } else {
          CLI::Option* o = cmd.add_option(f.name, *member, f.help);
          if constexpr (std::is_integral_v<T>) o->transform(digit_separators());
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

CompatOptions add_compat_flags(CLI::App& cmd) {
  CompatOptions options;
  for (const CompatFlag& f : compat_flags()) {
    if (f.status == CompatStatus::Unsupported || cmd.get_option_no_throw(f.name) != nullptr)
      continue;
    const std::string help = compat_summary(f);
    CLI::Option* o = nullptr;
    switch (f.arity) {
      case CompatArity::Switch:
        o = cmd.add_flag(f.name, help);
        break;
      case CompatArity::OneValue:
        o = cmd.add_option(f.name, help)->expected(1);
        break;
      case CompatArity::Values:
        o = cmd.add_option(f.name, help)
                ->expected(-1)
                ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        break;
    }
    o->group("Megatron / AscendSpeed compatibility");
    options.emplace_back(&f, o);
  }
  return options;
}

std::vector<const CompatFlag*> given_compat_flags(const CompatOptions& options) {
  std::vector<const CompatFlag*> given;
  for (const auto& [flag, option] : options)
    if (option->count() > 0) given.push_back(flag);
  return given;
}

}  // namespace ascent::cli
