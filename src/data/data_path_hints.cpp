#include "data/data_path_hints.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "core/error.h"

namespace ascent::data {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool has_index(const std::string& prefix) {
  std::error_code ec;
  return fs::is_regular_file(prefix + ".idx", ec);
}

// The dataset prefixes "{prefix}_*_document" that have an .idx, sorted (at most a few).
std::vector<std::string> datasets_under(const std::string& prefix) {
  const fs::path p(prefix);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string stem = p.filename().string() + "_";
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(stem, 0) != 0 || !ends_with(name, "_document.idx")) continue;
    const std::string base = name.substr(0, name.size() - 4);
    out.push_back(p.parent_path().empty() ? base : (p.parent_path() / base).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& v) {
  constexpr size_t kMax = 6;
  std::string s;
  for (size_t i = 0; i < v.size() && i < kMax; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > kMax) s += ", ...";
  return s;
}

// "P" for "P_packed_{key}_document" (or "P_packed"), else nullopt.
std::optional<std::string> instruction_base(const std::string& prefix) {
  for (const char* key : {"input_ids", "attention_mask", "labels"}) {
    const std::string suffix = std::string("_packed_") + key + "_document";
    if (ends_with(prefix, suffix)) return prefix.substr(0, prefix.size() - suffix.size());
  }
  if (ends_with(prefix, "_packed")) return prefix.substr(0, prefix.size() - 7);
  return std::nullopt;
}

bool is_instruction_prefix(const std::string& base) {
  return has_index(base + "_packed_input_ids_document");
}

}  // namespace

std::optional<std::string> check_pretraining_prefix(const std::string& prefix) {
  const std::string flag = "[train] --data-path " + prefix + ": ";
  if (has_index(prefix)) {
    const auto base = instruction_base(prefix);
    if (!base || !is_instruction_prefix(*base)) return std::nullopt;
    if (ends_with(prefix, "_packed_input_ids_document"))
      return flag +
             "the input ids of instruction data, trained on as plain text (prompts included, no "
             "loss mask, samples run together); to fine-tune give --data-path " +
             *base + " --is-instruction-dataset";
    throw error(flag, "is the ",
                ends_with(prefix, "_labels_document") ? "labels" : "attention mask",
                " of instruction data, not token text; give --data-path ", *base,
                " --is-instruction-dataset");
  }
  std::string hint;
  std::string stripped = prefix;
  if (ends_with(prefix, ".bin") || ends_with(prefix, ".idx"))
    stripped = prefix.substr(0, prefix.size() - 4);
  if (stripped != prefix && has_index(stripped)) {
    hint = "give the prefix without the extension: --data-path " + stripped;
  } else if (is_instruction_prefix(stripped)) {
    hint = "this is the --output-prefix of instruction data (" + stripped +
           "_packed_*_document); add --is-instruction-dataset";
  } else if (const auto found = datasets_under(stripped); !found.empty()) {
    hint = "preprocess writes PREFIX_{key}_document; the datasets under this prefix are " +
           join(found) + ": give one of them, e.g. --data-path " + found[0];
  } else {
    hint =
        "no such dataset; for `ascent preprocess --output-prefix P` give --data-path "
        "P_text_document (P_{key}_document for --json-keys key)";
  }
  throw error(flag, prefix, ".idx not found; ", hint);
}

std::string instruction_prefix_hint(const std::string& prefix) {
  const std::string want =
      "--data-path must be the --output-prefix of an instruction preprocess run (PREFIX for "
      "PREFIX_packed_{input_ids,attention_mask,labels}_document)";
  if (const auto base = instruction_base(prefix); base && is_instruction_prefix(*base))
    return want + "; give --data-path " + *base;
  if (has_index(prefix) || has_index(prefix + "_text_document"))
    return want + "; " + (has_index(prefix) ? prefix : prefix + "_text_document") +
           " is pretraining data: drop --is-instruction-dataset to train on it as text, or "
           "preprocess the records with an instruction handler (--handler-name "
           "GeneralInstructionHandler)";
  if (const auto found = datasets_under(prefix); !found.empty())
    return want + "; the datasets under " + prefix + " are " + join(found);
  return want;
}

}  // namespace ascent::data
