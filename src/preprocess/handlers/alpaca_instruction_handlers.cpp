// AscendSpeed's GeneralInstructionHandler family: the conversation is rendered by the Alpaca
// prompter into one text, tokenized whole, and every token of the tokenized prefix up to the
// last "### Response:\n" is masked (DESIGN.md section 6).
#include <string>

#include "preprocess/handlers/handler_impl.h"
#include "preprocess/text_utils.h"

namespace ascent::preprocess {
using data::readers::Problem;
namespace {

class AlpacaPromptHandler : public Handler {
 public:
  AlpacaPromptHandler(const PreprocessOptions& opts, const TextEncoder& enc)
      : enc_(enc), fields_(opts.map_keys), append_eod_(opts.append_eod) {}
  OutputKind kind() const override { return OutputKind::kInstruction; }
  std::vector<std::string> output_keys() const override {
    return {"input_ids", "attention_mask", "labels"};
  }

 protected:
  virtual std::vector<Message> messages(const nlohmann::json& record) const = 0;

  void process(const nlohmann::json& record, HandledRecord& out) const override {
    const std::vector<Message> msgs = messages(record);
    const std::string prompt = alpaca_training_prompt(msgs);
    InstructionSample s;
    s.input_ids = enc_.document(prompt);
    s.labels = s.input_ids;
    if (append_eod_) append_eod(s, enc_.eod());
    mask_prefix(s, enc_.document(alpaca_user_prompt(prompt)).size());
    out.samples.push_back(std::move(s));
  }

  const TextEncoder& enc_;
  Fields fields_;
  bool append_eod_;
};

// {"instruction", "input", "output"}: user = instruction + "\n" + input. A missing or null
// input counts as "" (AscendSpeed would fail on it).
class GeneralInstructionHandler final : public AlpacaPromptHandler {
 public:
  using AlpacaPromptHandler::AlpacaPromptHandler;

 protected:
  std::vector<Message> messages(const nlohmann::json& record) const override {
    const std::string& instruction = fields_.string(record, "instruction");
    const std::string* input = fields_.optional_string(record, "input");
    const std::string& output = fields_.string(record, "output");
    if (instruction.empty() && (!input || input->empty()) && output.empty())
      throw BadRecord{Problem::kEmptyText, "instruction, input and output are all empty"};
    return {Message{Role::kUser, instruction + "\n" + (input ? *input : std::string())},
            Message{Role::kAssistant, output}};
  }
};

// BELLE multi-turn: the dialogue so far sits in `instruction` as "Human: ... Assistant: ..."
// turns; `output` is the last reply. Python's split/strip semantics as in AscendSpeed.
class BelleMultiTurnInstructionHandler final : public AlpacaPromptHandler {
 public:
  using AlpacaPromptHandler::AlpacaPromptHandler;

 protected:
  std::vector<Message> messages(const nlohmann::json& record) const override {
    const std::string& instruction = fields_.string(record, "instruction");
    const std::string& output = fields_.string(record, "output");
    std::vector<Message> msgs;
    for (std::string_view turn : text::split(instruction, "Human:")) {
      if (turn.empty()) continue;
      const std::vector<std::string_view> parts = text::split(turn, "Assistant:");
      if (parts.size() > 1) {
        msgs.push_back(Message{Role::kUser, std::string(text::strip(parts[0]))});
        msgs.push_back(Message{Role::kAssistant, std::string(text::strip(parts[1]))});
      } else {
        msgs.push_back(Message{Role::kAssistant, std::string(text::strip(parts[0]))});
      }
    }
    if (msgs.empty())
      throw BadRecord{Problem::kEmptyText,
                      "key '" + fields_.name("instruction") + "' holds no dialogue turn"};
    msgs.pop_back();  // the empty reply after the last "Assistant:"
    msgs.push_back(Message{Role::kAssistant, std::string(text::strip(output))});
    return msgs;
  }
};

// LeetCode solutions: the problem statement (code_with_problem up to its first ```) asks, the
// code and its explanation answer.
class LeetcodePythonInstructionHandler final : public AlpacaPromptHandler {
 public:
  using AlpacaPromptHandler::AlpacaPromptHandler;

 protected:
  std::vector<Message> messages(const nlohmann::json& record) const override {
    const std::string& problem = fields_.string(record, "code_with_problem");
    const std::string& code = fields_.string(record, "code_only");
    const std::string& explanation = fields_.string(record, "explanation_only");
    return {Message{Role::kUser, std::string(text::strip(text::before_first(problem, "```")))},
            Message{Role::kAssistant, code + "\n" + explanation}};
  }
};

}  // namespace

std::unique_ptr<Handler> make_alpaca_instruction_handler(const PreprocessOptions& opts,
                                                         const TextEncoder& enc) {
  if (opts.handler_name == "BelleMultiTurnInstructionHandler")
    return std::make_unique<BelleMultiTurnInstructionHandler>(opts, enc);
  if (opts.handler_name == "LeetcodePythonInstructionHandler")
    return std::make_unique<LeetcodePythonInstructionHandler>(opts, enc);
  return std::make_unique<GeneralInstructionHandler>(opts, enc);
}

}  // namespace ascent::preprocess
