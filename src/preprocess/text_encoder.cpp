#include "preprocess/text_encoder.h"

#include <algorithm>

namespace ascent::preprocess {

TextEncoder::TextEncoder(const tokenizer::Tokenizer& tok, const std::string& tokenizer_type)
    : tok_(tok), with_special_tokens_(tokenizer_type == "PretrainedFromHF") {
  if (!with_special_tokens_) return;
  // The post-processor's leading ids: where the plain ids of a probe text start inside its
  // document ids (a trailing special such as BERT's [SEP] is not a prefix).
  const std::string_view probe = "a b";
  const std::vector<int32_t> plain = tok_.encode(probe),
                             full = tok_.encode_with_special_tokens(probe);
  const auto at = std::search(full.begin(), full.end(), plain.begin(), plain.end());
  if (!plain.empty() && at != full.end()) prefix_.assign(full.begin(), at);
}

std::vector<int32_t> TextEncoder::document(std::string_view text) const {
  return with_special_tokens_ ? tok_.encode_with_special_tokens(text) : tok_.encode(text);
}

}  // namespace ascent::preprocess
