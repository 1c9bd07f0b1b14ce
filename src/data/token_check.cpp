#include "data/token_check.h"

#include <fmt/format.h>

namespace ascent::data {
namespace {
constexpr int32_t kIgnore = -100;  // kernels::kIgnoreIndex (data does not depend on kernels)
}  // namespace

void check_token_range(const int32_t* ids, int64_t n, int64_t vocab, bool allow_ignore,
                       const TokenSource& src) {
  if (vocab <= 0) return;
  for (int64_t k = 0; k < n; ++k) {
    const int32_t id = ids[k];
    if ((id >= 0 && id < vocab) || (allow_ignore && id == kIgnore)) continue;
    const int64_t pos = src.first + k;
    throw TokenOutOfRange(
        fmt::format("[{}] {}: {} {}, token {}: id {} is outside the model's vocabulary [0, {}){}; "
                    "preprocess the data with the model's tokenizer, or give the model a "
                    "vocabulary that holds it (--vocab-size / the tokenizer)",
                    src.scope, src.file, src.unit, src.item, pos, id, vocab,
                    allow_ignore ? " (labels may also be -100)" : ""),
        src.file, src.item, pos, id);
  }
}

}  // namespace ascent::data
