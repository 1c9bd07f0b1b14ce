#include "preprocess/prompt_templates.h"

#include "core/error.h"

namespace ascent::preprocess {
namespace {

// Appends text to the last segment when it is text with the same `trained`, else a new one.
void add_text(std::vector<Segment>& out, std::string_view text, bool trained) {
  if (text.empty()) return;
  if (!out.empty() && out.back().kind == Segment::Kind::kText && out.back().trained == trained) {
    out.back().text.append(text);
    return;
  }
  out.push_back(Segment{Segment::Kind::kText, std::string(text), trained});
}

void add_special(std::vector<Segment>& out, Segment::Kind kind, bool trained) {
  out.push_back(Segment{kind, {}, trained});
}

// AscendSpeed's Alpaca layout, turn by turn: the system prompt (AscendSpeed's when none is
// given), "### Instruction:\n{user}\n", "### Response:\n" masked and "{assistant}\n" trained.
// A single-turn conversation renders the same text as GeneralInstructionHandler.
class AlpacaTemplate final : public PromptTemplate {
 public:
  const char* name() const override { return "alpaca"; }
  std::vector<Segment> render(std::string_view system,
                              const std::vector<Message>& turns) const override {
    std::vector<Segment> out;
    add_text(out, "\n", false);
    add_text(out, system.empty() ? kAlpacaSystem : system, false);
    add_text(out, "\n", false);
    for (const Message& m : turns) {
      if (m.role == Role::kUser) {
        add_text(out, std::string(kAlpacaUserToken) + "\n" + m.content + "\n", false);
      } else {
        add_text(out, std::string(kAlpacaAssistantToken) + "\n", false);
        add_text(out, m.content + "\n", true);
      }
    }
    return out;
  }
};

// Meta's LLaMA-2 chat layout (as LLaMA-Factory's "llama2"): every user turn is
// BOS "[INST] {user} [/INST]" (the first one carries "<<SYS>>\n{system}\n<</SYS>>\n\n"), every
// assistant turn "{assistant}" EOS, both trained.
class Llama2Template final : public PromptTemplate {
 public:
  const char* name() const override { return "llama2"; }
  bool places_bos() const override { return true; }
  std::vector<Segment> render(std::string_view system,
                              const std::vector<Message>& turns) const override {
    std::vector<Segment> out;
    bool first_user = true;
    for (const Message& m : turns) {
      if (m.role == Role::kUser) {
        add_special(out, Segment::Kind::kBos, false);
        std::string text = "[INST] ";
        if (first_user && !system.empty())
          text += "<<SYS>>\n" + std::string(system) + "\n<</SYS>>\n\n";
        first_user = false;
        add_text(out, text + m.content + " [/INST]", false);
      } else {
        add_text(out, m.content, true);
        add_special(out, Segment::Kind::kEos, true);
      }
    }
    return out;
  }
};

// ChatML (Qwen, OpenAI): "<|im_start|>{role}\n{content}<|im_end|>\n" per message; of an
// assistant message, "{content}<|im_end|>" is trained, its header and the final "\n" are not.
class ChatmlTemplate final : public PromptTemplate {
 public:
  const char* name() const override { return "chatml"; }
  std::vector<Segment> render(std::string_view system,
                              const std::vector<Message>& turns) const override {
    std::vector<Segment> out;
    if (!system.empty())
      add_text(out, "<|im_start|>system\n" + std::string(system) + "<|im_end|>\n", false);
    for (const Message& m : turns) {
      if (m.role == Role::kUser) {
        add_text(out, "<|im_start|>user\n" + m.content + "<|im_end|>\n", false);
      } else {
        add_text(out, "<|im_start|>assistant\n", false);
        add_text(out, m.content + "<|im_end|>", true);
        add_text(out, "\n", false);
      }
    }
    return out;
  }
};

}  // namespace

std::string alpaca_training_prompt(const std::vector<Message>& messages) {
  std::string prompt = "\n" + std::string(kAlpacaSystem) + "\n";
  for (const Message& m : messages) {
    prompt += m.role == Role::kUser ? kAlpacaUserToken : kAlpacaAssistantToken;
    prompt += "\n";
    prompt += m.content;
    prompt += "\n";
  }
  return prompt;
}

std::string alpaca_user_prompt(std::string_view training_prompt) {
  const size_t hit = training_prompt.rfind(kAlpacaAssistantToken);
  std::string out(hit == std::string_view::npos ? training_prompt : training_prompt.substr(0, hit));
  out += kAlpacaAssistantToken;
  out += "\n";
  return out;
}

const PromptTemplate& prompt_template(const std::string& name) {
  static const AlpacaTemplate alpaca;
  static const Llama2Template llama2;
  static const ChatmlTemplate chatml;
  if (name == "alpaca") return alpaca;
  if (name == "llama2") return llama2;
  if (name == "chatml") return chatml;
  throw error("[preprocess] --prompt-type ", name, ": unknown template (expected alpaca, llama2 ",
              "or chatml)");
}

std::vector<std::string> prompt_template_names() { return {"alpaca", "llama2", "chatml"}; }

}  // namespace ascent::preprocess
