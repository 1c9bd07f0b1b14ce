#pragma once
// Dataset handlers (--handler-name): one input record -> token sequences. Names and behavior are
// AscendSpeed's ascendspeed/data/data_handler.py (later ModelLink / MindSpeed-LLM for the
// template-driven ones):
//
//   pretraining (one dataset per key, `{prefix}_{key}_document`)
//     GeneralPretrainHandler             --json-keys fields, each a document (default "text")
//     AlpacaPretrainHandler              instruction/input/output in a Vicuna-style text
//     StackOverflowPythonPretrainHandler title/question_body/answer_body in one text
//   instruction (`{prefix}_packed_{input_ids,attention_mask,labels}_document`, labels -100 on
//   the prompt)
//     GeneralInstructionHandler          Alpaca instruction/input/output (DESIGN.md section 6)
//     BelleMultiTurnInstructionHandler   "Human:" / "Assistant:" turns inside `instruction`
//     LeetcodePythonInstructionHandler   code_with_problem / code_only / explanation_only
//     MOSSInstructionHandler             MOSS `chat` turns; one sequence per turn prefix
//     MOSSMultiTurnHandler               MOSS turns with Baichuan's user/assistant ids 195/196
//     SharegptStyleInstructionHandler    `conversations` [{from, value}] (ShareGPT),
//                                        `messages` [{role, content}] (OpenAI) or
//                                        `conversation` [{human, assistant}] (Firefly), with a
//                                        --prompt-type chat template; loss on every reply
//     AlpacaStyleInstructionHandler      instruction/input/output (+ system, history) with a
//                                        --prompt-type chat template
// Field names can be renamed with --map-keys.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/readers/record_reader.h"
#include "preprocess/options.h"
#include "preprocess/sample.h"
#include "preprocess/text_encoder.h"

namespace ascent::preprocess {

struct HandlerProblem {
  data::readers::Problem reason;
  std::string message;  // which field and what is wrong with it
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual OutputKind kind() const = 0;
  // Dataset keys in output order: the json keys (pretraining) or input_ids, attention_mask,
  // labels (instruction).
  virtual std::vector<std::string> output_keys() const = 0;
  // Record fields the handler needs, every one of them required (after --map-keys), so column
  // readers (Parquet, CSV) can skip the other columns; empty = read every column.
  virtual std::vector<std::string> input_fields() const { return {}; }
  // True when the handler writes EOS ids even without --append-eod (MOSSMultiTurnHandler).
  virtual bool writes_eos() const { return false; }

  // Overwrites `out` with the sequences of `record` (a JSON object), or returns why the record
  // is rejected (then `out` is unspecified). Thread-safe.
  std::optional<HandlerProblem> handle(const nlohmann::json& record, HandledRecord& out) const;
  // The same for a plain-text record, which handlers see as {"text": text}.
  std::optional<HandlerProblem> handle_text(std::string_view text, HandledRecord& out) const;

 protected:
  // Implementations throw BadRecord (handlers/handler_impl.h) for a rejected record.
  virtual void process(const nlohmann::json& record, HandledRecord& out) const = 0;
  // Default: process({"text": text}).
  virtual void process_text(std::string_view text, HandledRecord& out) const;
};

// The handler named by opts.handler_name (validated options). Throws ascent::Error
// "[preprocess] --handler-name ..." / "--prompt-type ..." for a bad combination.
std::unique_ptr<Handler> make_handler(const PreprocessOptions& opts, const TextEncoder& encoder);

// All --handler-name values.
const std::vector<std::string>& handler_names();
// True for the handlers whose output is the instruction triple.
bool is_instruction_handler(const std::string& name);
// True for the handlers that take --prompt-type.
bool uses_prompt_type(const std::string& name);

}  // namespace ascent::preprocess
