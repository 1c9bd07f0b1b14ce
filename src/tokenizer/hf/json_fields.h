#pragma once
// Reading tokenizer.json fields with errors that name the file and the field:
// "[tokenizer] tokenizer.json: pre_tokenizer.pretokenizers[0].behavior: unknown value 'Foo'".
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ascent::tokenizer::hf {

using Json = nlohmann::json;

// A position in a JSON file: the file name and the dotted field path.
class JsonPath {
 public:
  JsonPath(std::string file, std::string field)
      : file_(std::move(file)), field_(std::move(field)) {}

  JsonPath operator/(std::string_view key) const {
    return JsonPath(file_, field_.empty() ? std::string(key) : field_ + "." + std::string(key));
  }
  JsonPath operator[](size_t index) const {
    return JsonPath(file_, field_ + "[" + std::to_string(index) + "]");
  }
  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }

  // Throws ascent::Error "[tokenizer] FILE: FIELD: message".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string file_;
  std::string field_;
};

// `value` must be a JSON object (for a component: its "type" and parameters).
void require_object(const Json& value, const JsonPath& at);
// The member `key` of object `obj`, which must exist; `at` is the path of obj.
const Json& require_member(const Json& obj, std::string_view key, const JsonPath& at);
// obj[key] as a string; `fallback` when the key is absent or null.
std::string string_field(const Json& obj, std::string_view key, const JsonPath& at,
                         const std::string& fallback);
// obj[key] as a string that must be present.
std::string required_string(const Json& obj, std::string_view key, const JsonPath& at);
// obj[key] as a bool; `fallback` when absent or null.
bool bool_field(const Json& obj, std::string_view key, const JsonPath& at, bool fallback);
// obj[key] as a non-negative integer; `fallback` when absent or null.
int64_t uint_field(const Json& obj, std::string_view key, const JsonPath& at, int64_t fallback);
// obj[key] as a single character (a one-code-point string), returned as its UTF-8 bytes.
std::string char_field(const Json& obj, std::string_view key, const JsonPath& at,
                       const std::string& fallback);
// Whether v is an integer in [0, 2^31) (a token id); sets *id.
bool as_id(const Json& v, int32_t* id);
// The "type" of a component object.
std::string type_field(const Json& obj, const JsonPath& at);

}  // namespace ascent::tokenizer::hf
