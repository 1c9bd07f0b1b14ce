#pragma once
// Token ids from a dataset checked against the model's vocabulary as they are read, inputs and
// targets alike, so an id the model cannot take is a named error (file, document or sample,
// position, id) instead of an abort inside the loss kernel.
#include <cstdint>
#include <string>

#include "core/error.h"

namespace ascent::data {

// A token id outside [0, vocab) (labels: or -100) found in a dataset.
class TokenOutOfRange : public Error {
 public:
  TokenOutOfRange(const std::string& what, std::string file, int64_t item, int64_t position,
                  int64_t token)
      : Error(what), file_(std::move(file)), item_(item), position_(position), token_(token) {}
  const std::string& file() const { return file_; }
  int64_t item() const { return item_; }          // document (pretraining) or sample id
  int64_t position() const { return position_; }  // token position inside it
  int64_t token() const { return token_; }

 private:
  std::string file_;
  int64_t item_, position_, token_;
};

// Where checked ids come from, for the error message.
struct TokenSource {
  const char* scope;  // "gpt_dataset", "instruction_dataset"
  std::string file;   // the .bin
  const char* unit;   // "document" or "sample"
  int64_t item = 0;   // its id
  int64_t first = 0;  // position of ids[0] inside it
};

// Throws TokenOutOfRange unless every ids[k], k < n, is in [0, vocab), or equals `ignore` when
// allow_ignore (labels' -100). vocab <= 0 checks nothing.
void check_token_range(const int32_t* ids, int64_t n, int64_t vocab, bool allow_ignore,
                       const TokenSource& src);

}  // namespace ascent::data
