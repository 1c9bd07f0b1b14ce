#include "tokenizer/hf/json_fields.h"

#include "core/error.h"
#include "tokenizer/hf/unicode.h"

namespace ascent::tokenizer::hf {

void JsonPath::fail(const std::string& message) const {
  if (field_.empty()) throw error("[tokenizer] ", file_, ": ", message);
  throw error("[tokenizer] ", file_, ": ", field_, ": ", message);
}

void require_object(const Json& value, const JsonPath& at) {
  if (!value.is_object())
    at.fail(std::string("expected a JSON object, found ") + value.type_name());
}

const Json& require_member(const Json& obj, std::string_view key, const JsonPath& at) {
  require_object(obj, at);
  const auto it = obj.find(key);
  if (it == obj.end()) (at / key).fail("missing");
  return *it;
}

std::string string_field(const Json& obj, std::string_view key, const JsonPath& at,
                         const std::string& fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) (at / key).fail(std::string("expected a string, found ") + it->type_name());
  return it->get<std::string>();
}

std::string required_string(const Json& obj, std::string_view key, const JsonPath& at) {
  const Json& v = require_member(obj, key, at);
  if (!v.is_string()) (at / key).fail(std::string("expected a string, found ") + v.type_name());
  return v.get<std::string>();
}

bool bool_field(const Json& obj, std::string_view key, const JsonPath& at, bool fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    (at / key).fail(std::string("expected true or false, found ") + it->dump());
  return it->get<bool>();
}

int64_t uint_field(const Json& obj, std::string_view key, const JsonPath& at, int64_t fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    (at / key).fail(std::string("expected a non-negative integer, found ") + it->dump());
  return it->get<int64_t>();
}

std::string char_field(const Json& obj, std::string_view key, const JsonPath& at,
                       const std::string& fallback) {
  const std::string s = string_field(obj, key, at, fallback);
  int len = 0;
  if (s.empty() || (utf8_decode(s, 0, &len), static_cast<size_t>(len) != s.size()))
    (at / key).fail("expected a single character, found '" + s + "'");
  return s;
}

bool as_id(const Json& v, int32_t* id) {
  if (!v.is_number_integer()) return false;
  const int64_t x = v.get<int64_t>();
  if (x < 0 || x > INT32_MAX) return false;
  *id = static_cast<int32_t>(x);
  return true;
}

std::string type_field(const Json& obj, const JsonPath& at) {
  require_object(obj, at);
  return required_string(obj, "type", at);
}

}  // namespace ascent::tokenizer::hf
