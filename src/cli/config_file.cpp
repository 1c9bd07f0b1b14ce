#include "cli/config_file.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::cli {
namespace {

// A strict reader of the TOML a config file needs: `key = value` lines at the top level, where a
// value is a string, a number, a boolean or an array of those. Anything else (a [section] header,
// a key set twice, an unquoted word, a date, an inline table) is an error naming the file and the
// line, never silently read as something else.
class TomlReader {
 public:
  TomlReader(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte order mark
  }

  // Every `key = value` of the file in order, as (key, values) with line numbers for errors.
  struct Item {
    std::string key;
    std::vector<std::string> values;  // one for a scalar; a boolean is "true" / "false"
    bool is_bool = false;
    int line = 0;
  };
  std::vector<Item> read() {
    std::vector<Item> items;
    std::map<std::string, int> first_line;
    for (skip_blank_lines(); pos_ < text_.size(); skip_blank_lines()) {
      Item item;
      item.line = line_;
      if (peek() == '[')
        fail(
            "'[...]' section headers are not supported: keys are flag names at the top level "
            "(seq-length = 256)");
      item.key = read_key();
      if (auto [it, fresh] = first_line.emplace(item.key, line_); !fresh)
        fail("'" + item.key + "' is set twice (first on line " + std::to_string(it->second) + ")");
      skip_spaces();
      if (peek() != '=') fail("expected '=' after '" + item.key + "'");
      ++pos_;
      skip_spaces();
      read_value(item);
      skip_spaces();
      skip_comment();
      if (pos_ < text_.size() && peek() != '\n') fail("unexpected text after the value");
      items.push_back(std::move(item));
    }
    return items;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw error("[config] ", path_, ":", line_, ": ", what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_spaces() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\r') ++pos_;
  }
  void skip_comment() {
    if (peek() != '#') return;
    while (pos_ < text_.size() && peek() != '\n') ++pos_;
  }
  // Blank lines, comment lines and newlines (also inside arrays).
  void skip_blank_lines() {
    for (;;) {
      skip_spaces();
      skip_comment();
      if (peek() != '\n') return;
      ++pos_;
      ++line_;
    }
  }
  static bool bare(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  }

  std::string read_key() {
    const size_t start = pos_;
    while (bare(peek())) ++pos_;
    if (pos_ == start || peek() == '.' || peek() == '"' || peek() == '\'') {
      const size_t end = text_.find_first_of("=\n", start);
      std::string word = text_.substr(start, end == std::string::npos ? end : end - start);
      while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back())))
        word.pop_back();
      fail("'" + word +
           "' is not a flag name (letters, digits, '-' and '_' only; no dotted or "
           "quoted keys)");
    }
    return text_.substr(start, pos_ - start);
  }

  void read_value(Item& item) {
    if (peek() != '[') {
      item.values.push_back(read_scalar(&item.is_bool));
      return;
    }
    ++pos_;
    for (skip_blank_lines(); peek() != ']'; skip_blank_lines()) {
      if (pos_ >= text_.size()) fail("array not closed with ']'");
      if (peek() == '[') fail("nested arrays are not supported");
      item.values.push_back(read_scalar(nullptr));
      skip_blank_lines();
      if (pos_ >= text_.size()) fail("array not closed with ']'");
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ']') {
        fail("expected ',' or ']' in the array");
      }
    }
    ++pos_;
  }

  // A string, a number or (when is_bool is given) a boolean, as the command-line word.
  std::string read_scalar(bool* is_bool) {
    const char c = peek();
    if (c == '"' || c == '\'') return read_string(c);
    const size_t start = pos_;
    while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(peek())) &&
           peek() != ',' && peek() != ']' && peek() != '#')
      ++pos_;
    const std::string word = text_.substr(start, pos_ - start);
    if (word == "true" || word == "false") {
      if (is_bool == nullptr) fail("booleans are not supported inside arrays");
      *is_bool = true;
      return word;
    }
    if (std::string number; as_number(word, number)) return number;
    if (word.empty()) fail("missing value");
    fail("'" + word + "' is not a TOML value (a string needs quotes: \"" + word + "\")");
  }

  // TOML decimal integers and floats (underscores between digits allowed), without them.
  static bool as_number(const std::string& w, std::string& out) {
    size_t i = (!w.empty() && (w[0] == '+' || w[0] == '-')) ? 1 : 0;
    out = w.substr(0, i);
    auto digits = [&] {
      const size_t start = i;
      while (i < w.size() && (std::isdigit(static_cast<unsigned char>(w[i])) ||
                              (w[i] == '_' && i > start && i + 1 < w.size() &&
                               std::isdigit(static_cast<unsigned char>(w[i + 1]))))) {
        if (w[i] != '_') out += w[i];
        ++i;
      }
      return i > start;
    };
    if (!digits()) return false;
    if (i < w.size() && w[i] == '.') {
      out += w[i++];
      if (!digits()) return false;
    }
    if (i < w.size() && (w[i] == 'e' || w[i] == 'E')) {
      out += w[i++];
      if (i < w.size() && (w[i] == '+' || w[i] == '-')) out += w[i++];
      if (!digits()) return false;
    }
    return i == w.size();
  }

  std::string read_string(char quote) {
    if (text_.compare(pos_, 3, std::string(3, quote)) == 0)
      fail("multi-line strings are not supported");
    ++pos_;
    std::string out;
    for (;;) {
      if (pos_ >= text_.size() || peek() == '\n') fail("string not closed on its line");
      const char c = text_[pos_++];
      if (c == quote) return out;
      if (c != '\\' || quote == '\'') {
        out += c;
        continue;
      }
      read_escape(out);
    }
  }

  void read_escape(std::string& out) {
    const char e = peek();
    ++pos_;
    switch (e) {
      case 'b':
        out += '\b';
        return;
      case 't':
        out += '\t';
        return;
      case 'n':
        out += '\n';
        return;
      case 'f':
        out += '\f';
        return;
      case 'r':
        out += '\r';
        return;
      case '"':
        out += '"';
        return;
      case '\\':
        out += '\\';
        return;
      case 'u':
      case 'U':
        break;
      default:
        fail(std::string("unknown escape '\\") + e + "' in a string");
    }
    const size_t n = e == 'u' ? 4 : 8;
    const std::string hex = text_.substr(pos_, n);
    if (hex.size() != n || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      fail("bad \\" + std::string(1, e) + " escape in a string");
    pos_ += n;
    append_utf8(static_cast<uint32_t>(std::stoul(hex, nullptr, 16)), out);
  }

  void append_utf8(uint32_t cp, std::string& out) const {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      fail("escape is not a Unicode scalar value");
    tokenizer::hf::utf8_append(out, cp);
  }

  std::string path_, text_;
  size_t pos_ = 0;
  int line_ = 1;
};

std::vector<std::string> flags_from_file(const std::string& path, const CLI::App* command) {
  std::ifstream in(path);
  if (!in) throw error("[config] ", path, ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> out;
  for (const TomlReader::Item& item : TomlReader(path, text.str()).read()) {
    const std::string flag = "--" + item.key;
    if (command && command->get_option_no_throw(flag) == nullptr)
      throw error("[config] ", path, ":", item.line, ": '", item.key, "' is not a flag of ascent ",
                  command->get_name());
    if (item.is_bool) {
      // `false` must reach a switch that is on by default (--exit-signal-handler).
      out.push_back(item.values[0] == "true" ? flag : flag + "=false");
      continue;
    }
    out.push_back(flag);
    out.insert(out.end(), item.values.begin(), item.values.end());
  }
  return out;
}

}  // namespace

std::vector<std::string> expand_config_files(int argc, char** argv, const CLI::App* app) {
  std::vector<std::string> args(argv, argv + argc);
  // Keys are checked against the subcommand's flags when the parser is known.
  const CLI::App* command = nullptr;
  if (app && args.size() >= 2) {
    const auto named =
        app->get_subcommands([&](const CLI::App* sub) { return sub->get_name() == args[1]; });
    if (!named.empty()) command = named.front();
  }
  std::vector<std::string> out, from_files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::vector<std::string> f;
    if (a == "--config") {
      if (i + 1 >= args.size()) throw error("[config] --config needs a file name");
      f = flags_from_file(args[++i], command);
    } else if (a.rfind("--config=", 0) == 0) {
      f = flags_from_file(a.substr(9), command);
    } else {
      out.push_back(a);
    }
    from_files.insert(from_files.end(), f.begin(), f.end());
  }
  if (from_files.empty() || out.size() < 2) return out;
  // Program name, subcommand, then the file's flags, then the command line's.
  out.insert(out.begin() + 2, from_files.begin(), from_files.end());
  return out;
}

}  // namespace ascent::cli
