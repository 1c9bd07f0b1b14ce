// MOSS multi-turn conversations (moss-003-sft). A record holds its turns either as MOSS does,
//   "chat": {"turn_1": {"Human": "<|Human|>: ...<eoh>\n", "MOSS": "<|MOSS|>: ...<eom>\n", ...},
//            "turn_2": ...}
// or as the Firefly project repackaged the same data,
//   "conversation": [{"human": "...", "assistant": "..."}, ...].
// JSON objects are read with sorted keys, so "turn_N" keys are put back in numeric order
// (Python keeps the file's order, which is the same for MOSS data).
#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include "preprocess/handlers/handler_impl.h"
#include "preprocess/text_utils.h"

namespace ascent::preprocess {
using data::readers::Problem;
namespace {

// Numeric suffix of "turn_12" (-1 when the key has none), for ordering.
long turn_number(const std::string& key) {
  const size_t us = key.rfind('_');
  const std::string digits = us == std::string::npos ? key : key.substr(us + 1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::strtol(digits.c_str(), nullptr, 10);
}

class MossHandlerBase : public Handler {
 public:
  MossHandlerBase(const PreprocessOptions& opts, const TextEncoder& enc)
      : enc_(enc), fields_(opts.map_keys) {}
  OutputKind kind() const override { return OutputKind::kInstruction; }
  std::vector<std::string> output_keys() const override {
    return {"input_ids", "attention_mask", "labels"};
  }

 protected:
  // The (user, assistant) pairs of the record, cleaned as AscendSpeed does; empty turns skipped.
  std::vector<std::pair<std::string, std::string>> turns(const nlohmann::json& record) const {
    std::vector<std::pair<std::string, std::string>> out;
    const std::string chat_key = fields_.name("chat"), conv_key = fields_.name("conversation");
    if (const auto chat = record.find(chat_key); chat != record.end() && !chat->is_null()) {
      if (!chat->is_object())
        throw BadRecord{Problem::kNotAString, "key '" + chat_key + "' is not an object"};
      std::vector<std::pair<long, std::string>> keys;
      for (const auto& [key, turn] : chat->items()) keys.emplace_back(turn_number(key), key);
      std::sort(keys.begin(), keys.end());
      for (const auto& [number, key] : keys) {
        const nlohmann::json& turn = (*chat)[key];
        if (turn.is_null() || (turn.is_object() && turn.empty())) continue;
        if (!turn.is_object())
          throw BadRecord{Problem::kNotAString, chat_key + "." + key + " is not an object"};
        add_turn(turn, "Human", "MOSS", chat_key + "." + key, out);
      }
    } else if (const auto conv = record.find(conv_key); conv != record.end() && !conv->is_null()) {
      if (!conv->is_array())
        throw BadRecord{Problem::kNotAString, "key '" + conv_key + "' is not an array"};
      for (size_t i = 0; i < conv->size(); ++i) {
        const nlohmann::json& turn = (*conv)[i];
        const std::string where = conv_key + "[" + std::to_string(i) + "]";
        if (turn.is_null() || (turn.is_object() && turn.empty())) continue;
        if (!turn.is_object()) throw BadRecord{Problem::kNotAString, where + " is not an object"};
        add_turn(turn, "human", "assistant", where, out);
      }
    } else {
      throw BadRecord{Problem::kMissingKey, "missing key '" + chat_key + "' (or Firefly's '" +
                                                conv_key + "'; " + record_keys(record) + ")"};
    }
    if (out.empty()) throw BadRecord{Problem::kEmptyText, "the conversation has no turns"};
    return out;
  }

  const TextEncoder& enc_;
  Fields fields_;

 private:
  static void add_turn(const nlohmann::json& turn, const char* user_key, const char* bot_key,
                       const std::string& where,
                       std::vector<std::pair<std::string, std::string>>& out) {
    const auto field = [&](const char* key) -> const std::string& {
      const auto it = turn.find(key);
      if (it == turn.end())
        throw BadRecord{Problem::kMissingKey, where + " has no key '" + key + "'"};
      return checked_string(*it, where + "." + key);
    };
    const std::string user =
        text::replace_all(text::replace_all(field(user_key), "<eoh>", ""), "<|Human|>: ", "");
    const std::string bot =
        text::replace_all(text::replace_all(field(bot_key), "<|MOSS|>:", ""), "<eom>", "");
    out.emplace_back(std::string(text::strip(user)), std::string(text::strip(bot)));
  }
};

// One document per conversation holding one sequence per turn: the Alpaca prompt of the
// conversation up to that turn, everything but its last reply masked. No --append-eod (as in
// AscendSpeed).
class MOSSInstructionHandler final : public MossHandlerBase {
 public:
  using MossHandlerBase::MossHandlerBase;

 protected:
  void process(const nlohmann::json& record, HandledRecord& out) const override {
    std::vector<Message> msgs;
    for (auto& [user, bot] : turns(record)) {
      msgs.push_back(Message{Role::kUser, std::move(user)});
      msgs.push_back(Message{Role::kAssistant, std::move(bot)});
      const std::string prompt = alpaca_training_prompt(msgs);
      InstructionSample s;
      s.input_ids = enc_.document(prompt);
      s.labels = s.input_ids;
      mask_prefix(s, enc_.document(alpaca_user_prompt(prompt)).size());
      out.samples.push_back(std::move(s));
    }
  }
};

// Baichuan-style: per turn [195] user [196] reply, with labels EOS, -100 over the user text and
// the assistant id, then the reply; the sample ends with EOS (always, as in AscendSpeed).
class MOSSMultiTurnHandler final : public MossHandlerBase {
 public:
  using MossHandlerBase::MossHandlerBase;
  static constexpr int32_t kUserToken = 195;
  static constexpr int32_t kAssistantToken = 196;
  bool writes_eos() const override { return true; }

 protected:
  void process(const nlohmann::json& record, HandledRecord& out) const override {
    InstructionSample s;
    const int32_t eos = enc_.eod();
    for (const auto& [user, bot] : turns(record)) {
      const std::vector<int32_t> user_ids = enc_.document(user), bot_ids = enc_.document(bot);
      s.input_ids.push_back(kUserToken);
      s.input_ids.insert(s.input_ids.end(), user_ids.begin(), user_ids.end());
      s.input_ids.push_back(kAssistantToken);
      s.input_ids.insert(s.input_ids.end(), bot_ids.begin(), bot_ids.end());
      s.labels.push_back(eos);
      s.labels.insert(s.labels.end(), user_ids.size() + 1, kIgnoreLabel);
      s.labels.insert(s.labels.end(), bot_ids.begin(), bot_ids.end());
    }
    append_eod(s, eos);
    out.samples.push_back(std::move(s));
  }
};

}  // namespace

std::unique_ptr<Handler> make_moss_handler(const PreprocessOptions& opts, const TextEncoder& enc) {
  if (opts.handler_name == "MOSSMultiTurnHandler")
    return std::make_unique<MOSSMultiTurnHandler>(opts, enc);
  return std::make_unique<MOSSInstructionHandler>(opts, enc);
}

}  // namespace ascent::preprocess
