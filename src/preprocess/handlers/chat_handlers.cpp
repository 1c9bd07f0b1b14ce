// Chat-template handlers (--prompt-type): a conversation is rendered into prompt and response
// segments (prompt_templates.h), each encoded on its own and concatenated, so the labels are
// exactly the tokens of every assistant reply (plus what the template trains, such as EOS).
#include <string>

#include "core/error.h"
#include "preprocess/handlers/handler_impl.h"
#include "preprocess/text_utils.h"

namespace ascent::preprocess {
using data::readers::Problem;
namespace {

class ChatHandlerBase : public Handler {
 public:
  ChatHandlerBase(const PreprocessOptions& opts, const TextEncoder& enc)
      : enc_(enc),
        fields_(opts.map_keys),
        template_(prompt_template(opts.prompt_type.empty() ? "alpaca" : opts.prompt_type)),
        append_eod_(opts.append_eod) {
    if (template_.places_bos() && (enc.bos() < 0 || enc.eod() < 0))
      throw error("[preprocess] --prompt-type ", template_.name(),
                  ": the template needs BOS and EOS ids, and tokenizer has none");
  }
  OutputKind kind() const override { return OutputKind::kInstruction; }
  std::vector<std::string> output_keys() const override {
    return {"input_ids", "attention_mask", "labels"};
  }

 protected:
  // Renders and encodes one conversation. Turns after the last assistant reply teach nothing
  // and are dropped; a conversation without a reply is rejected.
  void encode(std::string_view system, std::vector<Message> turns, HandledRecord& out) const {
    while (!turns.empty() && turns.back().role != Role::kAssistant) turns.pop_back();
    if (turns.empty()) throw BadRecord{Problem::kEmptyText, "the conversation has no reply"};
    InstructionSample s;
    if (!template_.places_bos()) {
      s.input_ids = enc_.prefix();
      s.labels.assign(s.input_ids.size(), kIgnoreLabel);
    }
    for (const Segment& seg : template_.render(system, turns)) {
      std::vector<int32_t> ids;
      switch (seg.kind) {
        case Segment::Kind::kText:
          ids = enc_.plain(seg.text);
          break;
        case Segment::Kind::kBos:
          ids = {enc_.bos()};
          break;
        case Segment::Kind::kEos:
          ids = {enc_.eod()};
          break;
      }
      s.input_ids.insert(s.input_ids.end(), ids.begin(), ids.end());
      if (seg.trained)
        s.labels.insert(s.labels.end(), ids.begin(), ids.end());
      else
        s.labels.insert(s.labels.end(), ids.size(), kIgnoreLabel);
    }
    if (append_eod_) append_eod(s, enc_.eod());
    out.samples.push_back(std::move(s));
  }

  const TextEncoder& enc_;
  Fields fields_;
  const PromptTemplate& template_;
  bool append_eod_;
};

// A message's text: a string, or OpenAI's list of content parts whose "text" parts are joined.
std::string content_text(const nlohmann::json& value, const std::string& where) {
  if (!value.is_array()) return checked_string(value, where);
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const nlohmann::json& part = value[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!part.is_object()) throw BadRecord{Problem::kNotAString, at + " is not an object"};
    const auto type = part.find("type");
    if (type != part.end() && *type != "text") continue;  // images, audio: no text to train on
    const auto text = part.find("text");
    if (text == part.end()) throw BadRecord{Problem::kMissingKey, at + " has no key 'text'"};
    out += checked_string(*text, at + ".text");
  }
  return out;
}

enum class Speaker { kSystem, kUser, kAssistant, kUnknown };

Speaker speaker(const std::string& role) {
  if (role == "system") return Speaker::kSystem;
  if (role == "human" || role == "user") return Speaker::kUser;
  if (role == "gpt" || role == "assistant" || role == "chatgpt" || role == "bard" ||
      role == "bing" || role == "model")
    return Speaker::kAssistant;
  return Speaker::kUnknown;
}

// ShareGPT {"conversations": [{"from", "value"}]}, OpenAI {"messages": [{"role", "content"}]}
// or Firefly {"conversation": [{"human", "assistant"}]}, each with an optional top-level
// "system"; a leading system message sets the system prompt too.
class SharegptStyleInstructionHandler final : public ChatHandlerBase {
 public:
  using ChatHandlerBase::ChatHandlerBase;

 protected:
  void process(const nlohmann::json& record, HandledRecord& out) const override {
    const std::string* top_system = fields_.optional_string(record, "system");
    std::string system = top_system ? *top_system : std::string();
    std::vector<Message> turns;
    if (const auto* list = find_list(record, "conversations")) {
      read_messages(*list, fields_.name("conversations"), "from", "value", system, turns);
    } else if (const auto* list = find_list(record, "messages")) {
      read_messages(*list, fields_.name("messages"), "role", "content", system, turns);
    } else if (const auto* list = find_list(record, "conversation")) {
      const std::string key = fields_.name("conversation");
      for (size_t i = 0; i < list->size(); ++i) {
        const nlohmann::json& turn = (*list)[i];
        const std::string where = key + "[" + std::to_string(i) + "]";
        if (!turn.is_object()) throw BadRecord{Problem::kNotAString, where + " is not an object"};
        for (const char* role : {"human", "assistant"}) {
          const auto it = turn.find(role);
          if (it == turn.end())
            throw BadRecord{Problem::kMissingKey, where + " has no key '" + role + "'"};
          turns.push_back(Message{role[0] == 'h' ? Role::kUser : Role::kAssistant,
                                  checked_string(*it, where + "." + role)});
        }
      }
    } else {
      throw BadRecord{Problem::kMissingKey, "missing key '" + fields_.name("conversations") +
                                                "' (or '" + fields_.name("messages") + "' / '" +
                                                fields_.name("conversation") + "'; " +
                                                record_keys(record) + ")"};
    }
    encode(system, std::move(turns), out);
  }

 private:
  const nlohmann::json* find_list(const nlohmann::json& record, std::string_view field) const {
    const std::string key = fields_.name(field);
    const auto it = record.find(key);
    if (it == record.end() || it->is_null()) return nullptr;
    if (!it->is_array()) throw BadRecord{Problem::kNotAString, "key '" + key + "' is not a list"};
    return &*it;
  }

  static void read_messages(const nlohmann::json& list, const std::string& key,
                            const char* role_key, const char* content_key, std::string& system,
                            std::vector<Message>& turns) {
    for (size_t i = 0; i < list.size(); ++i) {
      const nlohmann::json& m = list[i];
      const std::string where = key + "[" + std::to_string(i) + "]";
      if (!m.is_object()) throw BadRecord{Problem::kNotAString, where + " is not an object"};
      const auto role = m.find(role_key);
      const auto content = m.find(content_key);
      if (role == m.end())
        throw BadRecord{Problem::kMissingKey, where + " has no key '" + role_key + "'"};
      if (content == m.end())
        throw BadRecord{Problem::kMissingKey, where + " has no key '" + content_key + "'"};
      const std::string& who = checked_string(*role, where + "." + role_key);
      std::string text = content_text(*content, where + "." + content_key);
      switch (speaker(who)) {
        case Speaker::kSystem:
          if (!turns.empty())
            throw BadRecord{Problem::kNotAString, where + ": a system message may only come first"};
          system = std::move(text);
          break;
        case Speaker::kUser:
          turns.push_back(Message{Role::kUser, std::move(text)});
          break;
        case Speaker::kAssistant:
          turns.push_back(Message{Role::kAssistant, std::move(text)});
          break;
        case Speaker::kUnknown:
          throw BadRecord{Problem::kNotAString,
                          where + "." + role_key + ": unknown role '" + who + "'"};
      }
    }
  }
};

// LLaMA-Factory's Alpaca format: {"instruction", "input", "output", "system", "history":
// [[user, reply], ...]}; the user turn is instruction and input joined by "\n" (empty ones left
// out).
class AlpacaStyleInstructionHandler final : public ChatHandlerBase {
 public:
  using ChatHandlerBase::ChatHandlerBase;

 protected:
  void process(const nlohmann::json& record, HandledRecord& out) const override {
    std::vector<Message> turns;
    const std::string history_key = fields_.name("history");
    if (const auto h = record.find(history_key); h != record.end() && !h->is_null()) {
      if (!h->is_array())
        throw BadRecord{Problem::kNotAString, "key '" + history_key + "' is not a list"};
      for (size_t i = 0; i < h->size(); ++i) {
        const nlohmann::json& pair = (*h)[i];
        const std::string where = history_key + "[" + std::to_string(i) + "]";
        if (!pair.is_array() || pair.size() != 2)
          throw BadRecord{Problem::kNotAString, where + " is not a [user, reply] pair"};
        turns.push_back(Message{Role::kUser, checked_string(pair[0], where + "[0]")});
        turns.push_back(Message{Role::kAssistant, checked_string(pair[1], where + "[1]")});
      }
    }
    const std::string& instruction = fields_.string(record, "instruction");
    const std::string* input = fields_.optional_string(record, "input");
    const std::string& output = fields_.string(record, "output");
    std::string user = instruction;
    if (input && !input->empty()) user += (user.empty() ? "" : "\n") + *input;
    if (user.empty() && output.empty())
      throw BadRecord{Problem::kEmptyText, "instruction, input and output are all empty"};
    turns.push_back(Message{Role::kUser, std::move(user)});
    turns.push_back(Message{Role::kAssistant, output});
    const std::string* system = fields_.optional_string(record, "system");
    encode(system ? *system : std::string_view(), std::move(turns), out);
  }
};

}  // namespace

std::unique_ptr<Handler> make_chat_handler(const PreprocessOptions& opts, const TextEncoder& enc) {
  if (opts.handler_name == "AlpacaStyleInstructionHandler")
    return std::make_unique<AlpacaStyleInstructionHandler>(opts, enc);
  return std::make_unique<SharegptStyleInstructionHandler>(opts, enc);
}

}  // namespace ascent::preprocess
