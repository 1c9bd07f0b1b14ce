#include "preprocess/handlers/handler.h"

#include <algorithm>

#include "core/error.h"
#include "preprocess/handlers/handler_impl.h"
#include "preprocess/text_utils.h"

namespace ascent::preprocess {
using data::readers::Problem;

std::optional<HandlerProblem> Handler::handle(const nlohmann::json& record,
                                              HandledRecord& out) const {
  out.clear();
  try {
    process(record, out);
  } catch (BadRecord& bad) {
    return HandlerProblem{bad.reason, std::move(bad.message)};
  }
  return std::nullopt;
}

std::optional<HandlerProblem> Handler::handle_text(std::string_view text,
                                                   HandledRecord& out) const {
  out.clear();
  try {
    process_text(text, out);
  } catch (BadRecord& bad) {
    return HandlerProblem{bad.reason, std::move(bad.message)};
  }
  return std::nullopt;
}

void Handler::process_text(std::string_view text, HandledRecord& out) const {
  process(nlohmann::json::object({{"text", std::string(text)}}), out);
}

std::string Fields::name(std::string_view field) const {
  const auto it = map_.find(std::string(field));
  return it == map_.end() ? std::string(field) : it->second;
}

std::string record_keys(const nlohmann::json& record) {
  constexpr size_t kMaxKeys = 12;
  if (!record.is_object() || record.empty()) return "the record has no keys";
  std::string out = "the record has keys ";
  size_t n = 0;
  for (const auto& [key, value] : record.items()) {
    if (n == kMaxKeys) {
      out += ", ... (" + std::to_string(record.size()) + " in all)";
      break;
    }
    out += (n++ ? ", '" : "'") + key + "'";
    if (value.is_null()) out += " (null)";
  }
  return out;
}

const nlohmann::json& Fields::value(const nlohmann::json& record, std::string_view field) const {
  const std::string key = name(field);
  const auto it = record.find(key);
  if (it == record.end() || it->is_null())
    throw BadRecord{Problem::kMissingKey,
                    "missing key '" + key + "' (" + record_keys(record) + ")"};
  return *it;
}

const std::string& Fields::string(const nlohmann::json& record, std::string_view field) const {
  return checked_string(value(record, field), "key '" + name(field) + "'");
}

const std::string* Fields::optional_string(const nlohmann::json& record,
                                           std::string_view field) const {
  const std::string key = name(field);
  const auto it = record.find(key);
  if (it == record.end() || it->is_null()) return nullptr;
  return &checked_string(*it, "key '" + key + "'");
}

const std::string& checked_string(const nlohmann::json& value, const std::string& where) {
  if (value.is_null()) throw BadRecord{Problem::kMissingKey, where + " is null"};
  if (!value.is_string())
    throw BadRecord{Problem::kNotAString,
                    where + " is not a string (" + std::string(value.type_name()) + ")"};
  const std::string& s = value.get_ref<const std::string&>();
  if (!text::valid_utf8(s)) throw BadRecord{Problem::kInvalidUtf8, where + " is not valid UTF-8"};
  return s;
}

void mask_prefix(InstructionSample& sample, size_t n) {
  n = std::min(n, sample.labels.size());
  std::fill(sample.labels.begin(), sample.labels.begin() + static_cast<std::ptrdiff_t>(n),
            kIgnoreLabel);
}

void append_eod(InstructionSample& sample, int32_t eod) {
  sample.input_ids.push_back(eod);
  sample.labels.push_back(eod);
}

namespace {

const std::vector<std::string>& pretrain_names() {
  static const std::vector<std::string> names = {"GeneralPretrainHandler", "AlpacaPretrainHandler",
                                                 "StackOverflowPythonPretrainHandler"};
  return names;
}
const std::vector<std::string>& alpaca_names() {
  static const std::vector<std::string> names = {"GeneralInstructionHandler",
                                                 "BelleMultiTurnInstructionHandler",
                                                 "LeetcodePythonInstructionHandler"};
  return names;
}
const std::vector<std::string>& moss_names() {
  static const std::vector<std::string> names = {"MOSSInstructionHandler", "MOSSMultiTurnHandler"};
  return names;
}
const std::vector<std::string>& chat_names() {
  static const std::vector<std::string> names = {"SharegptStyleInstructionHandler",
                                                 "AlpacaStyleInstructionHandler"};
  return names;
}
bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

const std::vector<std::string>& handler_names() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    for (const auto* group : {&pretrain_names(), &alpaca_names(), &moss_names(), &chat_names()})
      v.insert(v.end(), group->begin(), group->end());
    return v;
  }();
  return all;
}

bool is_instruction_handler(const std::string& name) {
  return contains(handler_names(), name) && !contains(pretrain_names(), name);
}

bool uses_prompt_type(const std::string& name) { return contains(chat_names(), name); }

std::unique_ptr<Handler> make_handler(const PreprocessOptions& opts, const TextEncoder& enc) {
  const std::string& name = opts.handler_name;
  if (contains(pretrain_names(), name)) return make_pretrain_handler(opts, enc);
  if (contains(alpaca_names(), name)) return make_alpaca_instruction_handler(opts, enc);
  if (contains(moss_names(), name)) return make_moss_handler(opts, enc);
  if (contains(chat_names(), name)) return make_chat_handler(opts, enc);
  throw error("[preprocess] --handler-name ", name, ": unknown handler");
}

}  // namespace ascent::preprocess
