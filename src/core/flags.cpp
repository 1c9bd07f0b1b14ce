#include "core/flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <type_traits>

#include "core/error.h"

namespace ascent::flags {
namespace {

// Shortest text that reads back as the same value ("0.0001" for 1e-4f, "4294967296" for 2^32).
template <class F>
std::string float_text(F v) {
  return fmt::format("{}", v);
}

void check_new(const Table& t, const std::string& name) {
  if (t.find(name) != nullptr) throw error("[flags] ", name, " is declared twice");
}

// A float member as the double its shortest text reads as: 0.9f is saved as 0.9, not as
// 0.8999999761581421 (the float widened); reading it back as a float gives the same float.
double shortest_double(float v) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, v).ptr;
  double d = 0;
  std::from_chars(text, end, d);
  return d;
}

double number(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : 0.0; }

}  // namespace

std::string Flag::key() const {
  size_t dashes = 0;
  while (dashes < name.size() && name[dashes] == '-') ++dashes;
  return name.substr(dashes);
}

nlohmann::json Flag::value() const {
  return std::visit(
      [](auto* p) {
        if constexpr (std::is_same_v<std::remove_pointer_t<decltype(p)>, float>)
          return nlohmann::json(shortest_double(*p));
        else
          return nlohmann::json(*p);
      },
      target);
}

std::string Flag::value_text() const {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>) {
          return *p ? "true" : "false";
        } else if constexpr (std::is_floating_point_v<T>) {
          return float_text(*p);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return *p;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return fmt::format("{}", fmt::join(*p, " "));
        } else {
          return std::to_string(*p);
        }
      },
      target);
}

Flag& Table::add_flag(std::string name, Target target, std::string help) {
  Flag f;
  f.name = std::move(name);
  f.target = target;
  f.help = std::move(help);
  f.scope = scope_;
  f.default_text = f.value_text();
  check_new(*this, f.name);
  flags_.push_back(std::move(f));
  return flags_.back();
}

Table& Table::append(const Table& other) {
  for (const Flag& f : other.flags_) {
    check_new(*this, f.name);
    flags_.push_back(f);
  }
  return *this;
}

Table Table::only(std::initializer_list<std::string_view> names) const {
  Table t(scope_);
  for (std::string_view n : names) {
    const Flag* f = find(n);
    if (f == nullptr) throw error("[flags] no flag ", n, " in this table");
    t.flags_.push_back(*f);
  }
  return t;
}

Table& Table::set_help(std::string_view name, std::string help) {
  for (Flag& f : flags_)
    if (f.name == name) {
      f.help = std::move(help);
      return *this;
    }
  throw error("[flags] no flag ", name, " in this table");
}

const Flag* Table::find(std::string_view name) const {
  for (const Flag& f : flags_)
    if (f.name == name) return &f;
  return nullptr;
}

void validate(const Table& table) {
  for (const Flag& f : table.flags()) {
    if (f.rules.empty()) continue;
    const nlohmann::json v = f.value();
    for (const Rule& rule : f.rules) {
      const std::string what = rule(v);
      if (!what.empty()) throw error("[", f.scope, "] ", f.name, " ", what);
    }
  }
}

nlohmann::json to_json(const Table& table) {
  nlohmann::json j = nlohmann::json::object();
  for (const Flag& f : table.flags())
    if (f.saved) j[f.key()] = f.value();
  return j;
}

bool is_set(const Table& table, const Table& defaults, std::string_view name,
            const GivenFlags& given) {
  if (given.contains(name)) return true;
  const Flag* f = table.find(name);
  const Flag* d = defaults.find(name);
  if (f == nullptr || d == nullptr) throw error("[flags] no flag ", name, " in this table");
  return f->value() != d->value();
}

Rule positive() {
  return [](const nlohmann::json& v) -> std::string {
    return number(v) > 0 ? "" : "must be positive";
  };
}

Rule at_least(double low) {
  return [low](const nlohmann::json& v) -> std::string {
    return number(v) >= low ? "" : fmt::format("must be >= {}", low);
  };
}

Rule greater_than(double low) {
  return [low](const nlohmann::json& v) -> std::string {
    return number(v) > low ? "" : fmt::format("must be > {}", low);
  };
}

Rule in_unit_interval() {
  return [](const nlohmann::json& v) -> std::string {
    const double x = number(v);
    return x >= 0 && x < 1 ? "" : "must be in [0, 1)";
  };
}

Rule one_of(std::vector<std::string> names, bool allow_empty) {
  return [names = std::move(names), allow_empty](const nlohmann::json& v) -> std::string {
    const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    if (allow_empty && s.empty()) return "";
    for (const std::string& n : names)
      if (s == n) return "";
    return fmt::format("'{}' is not one of {}", s, fmt::join(names, ", "));
  };
}

Rule holds(std::function<bool(const nlohmann::json&)> ok, std::string what) {
  return [ok = std::move(ok), what = std::move(what)](const nlohmann::json& v) -> std::string {
    return ok(v) ? "" : what;
  };
}

}  // namespace ascent::flags
