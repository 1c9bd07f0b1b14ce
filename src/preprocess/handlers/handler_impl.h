#pragma once
// Shared by the handler implementations (not part of the preprocess API): the exception that
// rejects a record, field access with --map-keys, and the factories of each handler family.
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "preprocess/handlers/handler.h"
#include "preprocess/prompt_templates.h"

namespace ascent::preprocess {

// Thrown inside Handler::process for a record that cannot be used; Handler::handle turns it into
// a HandlerProblem.
struct BadRecord {
  data::readers::Problem reason;
  std::string message;
};

// Reads the fields a handler needs, under their --map-keys names.
class Fields {
 public:
  explicit Fields(std::map<std::string, std::string> map_keys) : map_(std::move(map_keys)) {}

  // The record's name for handler field `field`.
  std::string name(std::string_view field) const;
  // The string value of `field`. Throws BadRecord: kMissingKey when absent or null, kNotAString
  // for another type, kInvalidUtf8.
  const std::string& string(const nlohmann::json& record, std::string_view field) const;
  // Like string(), but an absent or null field gives nullptr.
  const std::string* optional_string(const nlohmann::json& record, std::string_view field) const;
  // The value of `field` (any type); throws BadRecord kMissingKey when absent or null.
  const nlohmann::json& value(const nlohmann::json& record, std::string_view field) const;

 private:
  std::map<std::string, std::string> map_;
};

// "the record has keys 'question', 'answer'" (at most a dozen), for missing-key messages.
std::string record_keys(const nlohmann::json& record);

// `value` as a valid UTF-8 string; throws BadRecord (kMissingKey for null, kNotAString,
// kInvalidUtf8) naming `where` ("conversations[2].value").
const std::string& checked_string(const nlohmann::json& value, const std::string& where);

// Python's `prompt_ids[:n] = [-100] * n` on the labels (n clipped to the length).
void mask_prefix(InstructionSample& sample, size_t n);
// Appends the EOD id to input_ids and labels (AscendSpeed's --append-eod on instructions).
void append_eod(InstructionSample& sample, int32_t eod);

// Factories, one per handler family file.
std::unique_ptr<Handler> make_pretrain_handler(const PreprocessOptions& opts,
                                               const TextEncoder& enc);
std::unique_ptr<Handler> make_alpaca_instruction_handler(const PreprocessOptions& opts,
                                                         const TextEncoder& enc);
std::unique_ptr<Handler> make_moss_handler(const PreprocessOptions& opts, const TextEncoder& enc);
std::unique_ptr<Handler> make_chat_handler(const PreprocessOptions& opts, const TextEncoder& enc);

}  // namespace ascent::preprocess
