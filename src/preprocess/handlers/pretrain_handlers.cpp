// Pretraining handlers: each output key gets one document of one sequence per record.
#include <string>

#include "core/error.h"
#include "preprocess/handlers/handler_impl.h"
#include "preprocess/text_utils.h"

namespace ascent::preprocess {
using data::readers::Problem;
namespace {

class PretrainHandlerBase : public Handler {
 public:
  PretrainHandlerBase(const PreprocessOptions& opts, const TextEncoder& enc)
      : enc_(enc), fields_(opts.map_keys), append_eod_(opts.append_eod) {}
  OutputKind kind() const override { return OutputKind::kPretrain; }

 protected:
  // AscendSpeed's GeneralPretrainHandler._filter for one key: a non-empty text becomes one
  // sequence (EOD appended with --append-eod), an empty text no document.
  std::vector<std::vector<int32_t>> encode(std::string_view text) const {
    if (text.empty()) return {};
    std::vector<int32_t> ids = enc_.document(text);
    if (append_eod_) ids.push_back(enc_.eod());
    std::vector<std::vector<int32_t>> doc;
    doc.push_back(std::move(ids));
    return doc;
  }

  const TextEncoder& enc_;
  Fields fields_;
  bool append_eod_;
};

// --json-keys fields, each its own dataset.
class GeneralPretrainHandler final : public PretrainHandlerBase {
 public:
  GeneralPretrainHandler(const PreprocessOptions& opts, const TextEncoder& enc)
      : PretrainHandlerBase(opts, enc), keys_(opts.json_keys) {}
  std::vector<std::string> output_keys() const override { return keys_; }
  std::vector<std::string> input_fields() const override {
    std::vector<std::string> names;
    for (const std::string& k : keys_) names.push_back(fields_.name(k));
    return names;
  }

 protected:
  void process(const nlohmann::json& record, HandledRecord& out) const override {
    bool any = false;
    for (const std::string& key : keys_) {
      const std::string& text = fields_.string(record, key);
      any = any || !text.empty();
      out.docs.push_back(encode(text));
    }
    if (!any)
      throw BadRecord{Problem::kEmptyText,
                      keys_.size() == 1 ? "key '" + fields_.name(keys_[0]) + "' is an empty string"
                                        : "every --json-keys field is empty"};
  }
  // A .txt line (or file): the text of the one key.
  void process_text(std::string_view text, HandledRecord& out) const override {
    if (keys_.size() != 1)
      throw error("[preprocess] --json-keys: a text input has one field per document, but ",
                  keys_.size(), " keys were given");
    if (!text::valid_utf8(text)) throw BadRecord{Problem::kInvalidUtf8, "text is not valid UTF-8"};
    if (text.empty()) throw BadRecord{Problem::kEmptyText, "empty text"};
    out.docs.push_back(encode(text));
  }

 private:
  std::vector<std::string> keys_;
};

// Alpaca records rendered as one Vicuna-style text (AscendSpeed's message_format, including its
// missing space after "questions." and Python's "None" for an empty input).
class AlpacaPretrainHandler final : public PretrainHandlerBase {
 public:
  using PretrainHandlerBase::PretrainHandlerBase;
  std::vector<std::string> output_keys() const override { return {"text"}; }

 protected:
  void process(const nlohmann::json& record, HandledRecord& out) const override {
    const std::string& instruction = fields_.string(record, "instruction");
    const std::string* input = fields_.optional_string(record, "input");
    const std::string& output = fields_.string(record, "output");
    std::string text =
        "A chat between a curious user and an artificial intelligence assistant. The assistant "
        "gives helpful, detailed, and polite answers to the user's questions.USER: Below is an "
        "instruction that describes a task. Write a response that appropriately completes the "
        "request.\n\n### Instruction:\n";
    text += instruction;
    text += "\n\n###";
    text += input && !input->empty() ? " Input:\n" + *input : std::string("None");
    text += "\n\n### Response: ASSISTANT: ";
    text += output;
    out.docs.push_back(encode(text));
  }
};

// Stack Overflow Python question/answer pairs in one text.
class StackOverflowPythonPretrainHandler final : public PretrainHandlerBase {
 public:
  using PretrainHandlerBase::PretrainHandlerBase;
  std::vector<std::string> output_keys() const override { return {"text"}; }

 protected:
  void process(const nlohmann::json& record, HandledRecord& out) const override {
    const std::string text = "In python, " + fields_.string(record, "title") + "\n### Question:\n" +
                             fields_.string(record, "question_body") + "\n### Response:\n" +
                             fields_.string(record, "answer_body") + "\n";
    out.docs.push_back(encode(text));
  }
};

}  // namespace

std::unique_ptr<Handler> make_pretrain_handler(const PreprocessOptions& opts,
                                               const TextEncoder& enc) {
  if (opts.handler_name == "AlpacaPretrainHandler")
    return std::make_unique<AlpacaPretrainHandler>(opts, enc);
  if (opts.handler_name == "StackOverflowPythonPretrainHandler")
    return std::make_unique<StackOverflowPythonPretrainHandler>(opts, enc);
  return std::make_unique<GeneralPretrainHandler>(opts, enc);
}

}  // namespace ascent::preprocess
