#pragma once
// What --data-path should have been. `ascent preprocess --output-prefix P` writes
// P_{key}_document.{bin,idx} (key "text" by default) for pretraining and
// P_packed_{input_ids,attention_mask,labels}_document.{bin,idx} for instruction data, while
// training wants the dataset prefix (pretraining) or P itself (--is-instruction-dataset); the
// messages below name the files that do exist and the flag that reads them.
#include <optional>
#include <string>

namespace ascent::data {

// A pretraining --data-path prefix, checked before it is opened. Throws ascent::Error
// "[train] --data-path PREFIX: ..." when PREFIX.idx does not exist (naming the datasets under
// that prefix, or --is-instruction-dataset for instruction data) or when PREFIX is the labels or
// attention mask of instruction data. Returns a warning for the input ids of instruction data
// (they train as plain text, prompts included), nothing otherwise.
std::optional<std::string> check_pretraining_prefix(const std::string& prefix);

// Why `prefix` is not instruction data (its _packed_input_ids_document is missing) and what to
// give instead: "--data-path ... must be ..." with the existing files.
std::string instruction_prefix_hint(const std::string& prefix);

}  // namespace ascent::data
