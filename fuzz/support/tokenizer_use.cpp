#include "tokenizer_use.h"

#include <algorithm>
#include <vector>

#include "harness.h"

namespace ascent::fuzz {

void use_tokenizer(const tokenizer::Tokenizer& tok, std::string_view text) {
  const std::vector<int32_t> ids = tok.encode(text);
  expect_errors([&] { (void)tok.decode(ids); });
  const std::vector<int32_t> special = tok.encode_with_special_tokens(text);
  expect_errors([&] { (void)tok.decode(special); });
  // Every id the vocabulary has (the first few hundred), and the special ids.
  const int32_t n = static_cast<int32_t>(std::min<int64_t>(tok.vocab_size(), 512));
  std::vector<int32_t> all;
  for (int32_t id = 0; id < n; ++id) all.push_back(id);
  for (int32_t id : {tok.bos_id(), tok.eos_id(), tok.pad_id(), tok.unk_id()})
    if (id >= 0 && id < tok.vocab_size()) all.push_back(id);
  expect_errors([&] { (void)tok.decode(all); });
  for (int32_t id : all) expect_errors([&] { (void)tok.id_to_piece(id); });
  expect_errors([&] { (void)tok.decode(std::vector<int32_t>{-1}); });
  expect_errors([&] { (void)tok.id_to_piece(static_cast<int32_t>(tok.vocab_size())); });
}

}  // namespace ascent::fuzz
