#include "cli/unknown_words.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.h"

namespace ascent::cli {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string_view strip_dashes(std::string_view s) {
  while (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<std::string> long_option_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::Option* o : cmd.get_options())
    for (const std::string& n : o->get_lnames()) names.push_back("--" + n);
  return names;
}

std::vector<const CLI::App*> named_subcommands(const CLI::App& cmd) {
  return cmd.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
}

const CLI::App* find_subcommand(const CLI::App& cmd, std::string_view name) {
  for (const CLI::App* s : named_subcommands(cmd))
    if (s->get_name() == name) return s;
  return nullptr;
}

std::string quoted_list(const std::vector<std::string>& names, std::string_view quote) {
  std::vector<std::string> q;
  for (const std::string& n : names) q.push_back(fmt::format("{0}{1}{0}", quote, n));
  return fmt::format("{}", fmt::join(q, ", "));
}

[[noreturn]] void unknown_command(const CLI::App& parent, const std::string& path,
                                  const std::string& word) {
  std::vector<std::string> names;
  for (const CLI::App* s : named_subcommands(parent)) names.push_back(s->get_name());
  const std::vector<std::string> near = nearest_names(word, names);
  const std::string known = quoted_list(names, "");
  if (near.empty()) throw error("unknown command '", path, word, "' (commands: ", known, ")");
  throw error("unknown command '", path, word, "' (did you mean ", quoted_list(near, "'"), "?)");
}

void check_option(const CLI::App& cmd, const std::string& path, const std::string& word,
                  const ExplainRefusal& explain) {
  const std::string name = word.substr(0, word.find('='));
  if (cmd.get_option_no_throw(name) != nullptr) return;
  if (explain) {
    const std::string why = explain(cmd.get_name(), name);
    if (!why.empty()) throw Error(why);
  }
  const std::vector<std::string> near = nearest_names(name, long_option_names(cmd));
  if (near.empty())
    throw error("[", path, "] unknown option ", name, " (ascent ", path,
                " --help lists the options)");
  throw error("[", path, "] unknown option ", name, " (did you mean ", quoted_list(near, ""), "?)");
}

}  // namespace

std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& names,
                                       size_t max) {
  const std::string_view w = strip_dashes(word);
  const size_t limit = std::max<size_t>(2, w.size() / 3);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& n : names) {
    const std::string_view c = strip_dashes(n);
    size_t d = edit_distance(w, c);
    if (w.size() >= 4 && c.size() >= 4 && (starts_with(c, w) || starts_with(w, c)))
      d = std::min<size_t>(d, 1);
    if (d <= limit) scored.emplace_back(d, n);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < max; ++i) out.push_back(scored[i].second);
  return out;
}

void check_words(const CLI::App& app, const std::vector<std::string>& args,
                 const ExplainRefusal& explain) {
  const CLI::App* cmd = &app;
  std::string path;      // "tokenizer train"
  bool choosing = true;  // the next plain word names a subcommand of `cmd`
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") return;  // the rest is positional
    if (starts_with(w, "--")) {
      check_option(*cmd, path.empty() ? std::string("ascent") : path, w, explain);
      continue;
    }
    if (!choosing || starts_with(w, "-") || named_subcommands(*cmd).empty()) {
      choosing = false;
      continue;
    }
    const CLI::App* sub = find_subcommand(*cmd, w);
    if (sub == nullptr) unknown_command(*cmd, path.empty() ? "" : path + " ", w);
    cmd = sub;
    path = path.empty() ? w : path + " " + w;
  }
  if (args.size() == 1 && !named_subcommands(app).empty()) {
    std::vector<std::string> names;
    for (const CLI::App* s : named_subcommands(app)) names.push_back(s->get_name());
    throw error("no command given (commands: ", quoted_list(names, ""), "; ascent --help)");
  }
}

}  // namespace ascent::cli
