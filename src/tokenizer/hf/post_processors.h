#pragma once
// HF post-processors for one sequence with add_special_tokens=True: TemplateProcessing (its
// "single" template), RobertaProcessing / BertProcessing (CLS ... SEP), ByteLevel (offsets only:
// ids unchanged) and Sequence. With add_special_tokens=False HF leaves ids unchanged, so
// Tokenizer::encode never calls these.
#include <cstdint>
#include <memory>
#include <vector>

#include "tokenizer/hf/json_fields.h"

namespace ascent::tokenizer::hf {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Rewrites the ids of one encoded sequence. Thread-safe.
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

// The post-processor described by `j` (tokenizer.json "post_processor"); nullptr for JSON null.
// Throws ascent::Error naming `at` for an unknown "type" or a bad field.
std::unique_ptr<PostProcessor> make_post_processor(const Json& j, const JsonPath& at);

}  // namespace ascent::tokenizer::hf
