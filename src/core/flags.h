#pragma once
// Flag tables: a config struct declares each of its command-line flags once, as a descriptor that
// binds the flag's name to one of the struct's members, with its help text, its default (the
// member's value when the table is bound to a default-constructed config) and the rules its value
// must satisfy. Generic visitors turn a table into what every flag needs:
//   validate(table)  the per-value rules ("[train] --seq-length must be positive");
//   to_json(table)   the effective configuration (run_config.json, checkpoint metadata);
//   Flag::default_text, Flag::help: --help text.
// Registering a table with a parser is the parser's adapter (cli/flag_registration.h, CLI11);
// nothing here knows about a parser.
//
// A config exposes its table as `flags::Table flags()`, bound to that instance: composed configs
// append their parts' tables, so a flag is still declared only in the part that owns it.
//
//   flags::Table DataConfig::flags() {
//     flags::Table t("train");
//     t.add("--seq-length", seq_length).check(flags::positive());
//     t.add("--split", split, "train,valid,test document weights");
//     return t;
//   }
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ascent::flags {

// The member a flag sets; its type decides how the flag is parsed (bool: a switch without value;
// vector: one or more values) and how it appears in JSON.
using Target = std::variant<bool*, int*, int64_t*, uint64_t*, float*, double*, std::string*,
                            std::vector<std::string>*>;

// One rule on a flag's value: returns "" when the value is acceptable, else what is wrong, as the
// end of the sentence "[scope] --flag ...", e.g. "must be >= 0".
using Rule = std::function<std::string(const nlohmann::json& value)>;

struct Flag {
  std::string name;          // "--seq-length"
  Target target;             // the member the flag sets
  std::string help;          // --help text ("" : none)
  std::string scope;         // the bracketed prefix of its errors: "train" -> "[train] --..."
  std::string default_text;  // the value at binding time, as text ("" for an empty string/list)
  bool saved = true;         // in to_json() (false: an older spelling saved as the flags it sets)
  std::vector<Rule> rules;

  // The config-file and JSON key: the name without its leading dashes ("seq-length").
  std::string key() const;
  // True for a bool member: the flag takes no value.
  bool is_switch() const { return std::holds_alternative<bool*>(target); }
  // True for a list member: the flag takes one or more values.
  bool is_list() const { return std::holds_alternative<std::vector<std::string>*>(target); }
  // The member's current value (bool, integer, unsigned, float, string or array of strings).
  nlohmann::json value() const;
  // The member's current value as a person writes it on a command line ("0.0001", "true",
  // "a b" for a list).
  std::string value_text() const;

  // Builders, for chaining after Table::add.
  Flag& check(Rule rule) {
    rules.push_back(std::move(rule));
    return *this;
  }
  Flag& not_saved() {
    saved = false;
    return *this;
  }
  // Reports this flag's errors under another scope than its table's.
  Flag& reported_as(std::string s) {
    scope = std::move(s);
    return *this;
  }
};

// The names of the flags set explicitly ("--num-layers"), on the command line or in a config
// file, as opposed to left at their defaults: an explicit 0 is then a value, not "not given".
// Filled by the parser's adapter (cli/flag_registration.h); empty when a config is built in code.
using GivenFlags = std::set<std::string, std::less<>>;

class Table {
 public:
  // `scope`: the bracketed prefix of the errors of the flags added to this table.
  explicit Table(std::string scope) : scope_(std::move(scope)) {}

  // Binds `name` to `member` (which must outlive the table and every parser it is registered
  // with). Returns the flag for chaining rules (valid until the next add). Throws
  // ascent::Error when `name` is already in the table.
  template <class T>
  Flag& add(std::string name, T& member, std::string help = {}) {
    return add_flag(std::move(name), Target(&member), std::move(help));
  }
  // Adds every flag of `other`, each keeping its scope. Throws ascent::Error on a name already
  // in this table (each flag is declared once).
  Table& append(const Table& other);
  // The flags named (in the order given); throws ascent::Error for an unknown name.
  Table only(std::initializer_list<std::string_view> names) const;
  // Replaces one flag's help text (a subcommand that uses a shared flag in its own sense).
  Table& set_help(std::string_view name, std::string help);

  const std::vector<Flag>& flags() const { return flags_; }
  // The flag named `name` ("--seq-length"), or null.
  const Flag* find(std::string_view name) const;

 private:
  Flag& add_flag(std::string name, Target target, std::string help);

  std::string scope_;
  std::vector<Flag> flags_;
};

// Checks every rule of every flag, in table order; throws ascent::Error
// "[scope] --flag <what the rule says>" for the first value that breaks one.
void validate(const Table& table);
// {key: value} for every saved flag.
nlohmann::json to_json(const Table& table);
// True when the flag `name` of `table` is in `given`, or (a config built in code, with nothing
// in `given`) its value differs from its value in `defaults`, the same config's table bound to a
// default-constructed instance. Throws ascent::Error for a name in neither table.
bool is_set(const Table& table, const Table& defaults, std::string_view name,
            const GivenFlags& given);

// The table of a config for reading only (validate, to_json from a const method): binding takes
// a mutable reference, but nothing is written through it.
template <class Config>
Table read_only(const Config& config) {
  return const_cast<Config&>(config).flags();
}

// Rules with the project's wording.
Rule positive();                // "must be positive"
Rule at_least(double low);      // "must be >= low"
Rule greater_than(double low);  // "must be > low"
Rule in_unit_interval();        // "must be in [0, 1)"
// A string among `names` ("'x' is not one of a, b, c"); "" passes when allow_empty.
Rule one_of(std::vector<std::string> names, bool allow_empty = false);
// Any predicate, with a fixed complaint (e.g. "is required").
Rule holds(std::function<bool(const nlohmann::json&)> ok, std::string what);

}  // namespace ascent::flags
