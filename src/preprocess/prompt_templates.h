#pragma once
// Prompt templates of instruction data.
//
// AscendSpeed's Alpaca prompter (GeneralInstructionHandler and its family) renders a whole
// conversation into one string; the handler then masks every token up to the last
// "### Response:\n" (DESIGN.md section 6). alpaca_training_prompt() builds that string exactly.
//
// Chat templates (--prompt-type, for SharegptStyleInstructionHandler and
// AlpacaStyleInstructionHandler) render a conversation into segments instead: prompt text,
// response text and special tokens, encoded one by one (as LLaMA-Factory does), so the labels
// are exactly the response tokens of every assistant turn.
#include <string>
#include <string_view>
#include <vector>

namespace ascent::preprocess {

enum class Role { kUser, kAssistant };

struct Message {
  Role role;
  std::string content;
};

// AscendSpeed's AlpacaTemplate.
inline constexpr std::string_view kAlpacaSystem =
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request. Please note that you "
    "need to think through your response logically and step by step.";
inline constexpr std::string_view kAlpacaUserToken = "### Instruction:";
inline constexpr std::string_view kAlpacaAssistantToken = "### Response:";

// AscendSpeed's Prompter.generate_training_prompt:
//   "\n" + SYSTEM + "\n" + for each message: TOKEN + "\n" + content + "\n"
// with TOKEN "### Instruction:" for user and "### Response:" for assistant messages.
std::string alpaca_training_prompt(const std::vector<Message>& messages);

// AscendSpeed's masked prefix: the prompt up to its last "### Response:", plus that token and
// "\n" (Python: prompt.rsplit(token, 1)[0] + token + "\n").
std::string alpaca_user_prompt(std::string_view training_prompt);

// One piece of a rendered conversation.
struct Segment {
  enum class Kind { kText, kBos, kEos };
  Kind kind = Kind::kText;
  std::string text;      // kText only
  bool trained = false;  // a response piece: its tokens are labels; otherwise labels are -100
};

class PromptTemplate {
 public:
  virtual ~PromptTemplate() = default;
  virtual const char* name() const = 0;
  // True when the template places BOS itself (llama2); otherwise the sample starts with the
  // tokens the tokenizer puts before every text (LLaMA's BOS for PretrainedFromHF, none for
  // SentencePiece / GPT-2).
  virtual bool places_bos() const { return false; }
  // Segments of the conversation. `system` may be empty (templates without a default system
  // prompt then render none); `turns` are user / assistant messages in order.
  virtual std::vector<Segment> render(std::string_view system,
                                      const std::vector<Message>& turns) const = 0;
};

// --prompt-type names: "alpaca", "llama2", "chatml". Throws ascent::Error
// "[preprocess] --prompt-type NAME: ..." for others.
const PromptTemplate& prompt_template(const std::string& name);
std::vector<std::string> prompt_template_names();

}  // namespace ascent::preprocess
