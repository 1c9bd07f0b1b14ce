#include "preprocess/options.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "preprocess/handlers/handler.h"
#include "preprocess/prompt_templates.h"

namespace ascent::preprocess {

void PreprocessOptions::validate() const {
  if (input.empty()) throw error("[preprocess] --input: required");
  if (output_prefix.empty()) throw error("[preprocess] --output-prefix: required");
  if (tokenizer_path.empty() && vocab_file.empty())
    throw error(
        "[preprocess] --tokenizer-name-or-path: required (or --vocab-file and --merge-file for "
        "GPT2BPETokenizer)");
  if (!tokenizer_path.empty() && !vocab_file.empty())
    throw error("[preprocess] --vocab-file ", vocab_file, ": give either --tokenizer-name-or-path ",
                tokenizer_path, " or --vocab-file / --merge-file, not both");
  if (!merge_file.empty() && vocab_file.empty())
    throw error("[preprocess] --merge-file ", merge_file, ": needs --vocab-file");
  if (!vocab_file.empty() && tokenizer_type != "GPT2BPETokenizer")
    throw error("[preprocess] --vocab-file ", vocab_file,
                ": the vocabulary and merge files are Megatron's GPT2BPETokenizer; add "
                "--tokenizer-type GPT2BPETokenizer (--tokenizer-type is ",
                tokenizer_type, ")");
  const auto& names = handler_names();
  if (std::find(names.begin(), names.end(), handler_name) == names.end()) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw error("[preprocess] --handler-name ", handler_name, ": unknown handler (one of ", list,
                ")");
  }
  if (json_keys.empty()) throw error("[preprocess] --json-keys: at least one key required");
  for (const std::string& key : json_keys)
    if (key.empty() || key.find('/') != std::string::npos)
      throw error("[preprocess] --json-keys '", key, "': must be a non-empty name without '/'");
  if (!prompt_type.empty()) {
    if (!uses_prompt_type(handler_name))
      throw error("[preprocess] --prompt-type ", prompt_type, ": ", handler_name,
                  " has a fixed prompt; chat templates apply to SharegptStyleInstructionHandler "
                  "and AlpacaStyleInstructionHandler");
    prompt_template(prompt_type);  // throws for an unknown name
  }
  if (token_dtype != "auto" && token_dtype != "int32")
    throw error("[preprocess] --token-dtype ", token_dtype, ": expected auto or int32");
  if (seq_length < 0) throw error("[preprocess] --seq-length ", seq_length, ": must be >= 0");
  if (seq_length_policy != SeqLengthPolicy::kKeep && seq_length == 0)
    throw error("[preprocess] --long-sequences ", seq_length_policy_name(seq_length_policy),
                seq_length_policy == SeqLengthPolicy::kTruncate ? " (--truncate)" : "",
                ": needs --seq-length");
  if (workers < 0) throw error("[preprocess] --workers ", workers, ": must be >= 0");
  if (log_interval <= 0)
    throw error("[preprocess] --log-interval ", log_interval, ": must be positive");
  if (max_examples < 0) throw error("[preprocess] max_examples must be >= 0");
}

SeqLengthPolicy parse_seq_length_policy(const std::string& name) {
  if (name == "keep") return SeqLengthPolicy::kKeep;
  if (name == "drop") return SeqLengthPolicy::kDrop;
  if (name == "truncate") return SeqLengthPolicy::kTruncate;
  throw error("[preprocess] --long-sequences ", name, ": expected keep, drop or truncate");
}

const char* seq_length_policy_name(SeqLengthPolicy p) {
  switch (p) {
    case SeqLengthPolicy::kKeep:
      return "keep";
    case SeqLengthPolicy::kDrop:
      return "drop";
    case SeqLengthPolicy::kTruncate:
      return "truncate";
  }
  return "?";
}

std::map<std::string, std::string> parse_map_keys(const std::string& json_text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw error("[preprocess] --map-keys '", json_text, "': not JSON (", e.what(), ")");
  }
  if (!j.is_object())
    throw error("[preprocess] --map-keys '", json_text,
                "': expected an object {\"handler field\": \"record field\"}");
  // MindSpeed-LLM's names for the Alpaca fields.
  static const std::map<std::string, std::string> aliases = {
      {"prompt", "instruction"}, {"query", "input"}, {"response", "output"}};
  std::map<std::string, std::string> out;
  for (const auto& [field, name] : j.items()) {
    if (!name.is_string())
      throw error("[preprocess] --map-keys: the value of '", field, "' must be a string");
    const auto alias = aliases.find(field);
    out[alias == aliases.end() ? field : alias->second] = name.get<std::string>();
  }
  return out;
}

}  // namespace ascent::preprocess
