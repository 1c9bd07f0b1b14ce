#pragma once
// Trains a SentencePiece model on a text corpus (one sentence per line), so the demo needs no
// downloaded tokenizer. Same options, same corpus and same thread count give the same model.
#include <cstdint>
#include <string>

namespace ascent::tokenizer {

struct TrainOptions {
  std::string input;                // --input: text file, one sentence per line
  std::string output_prefix;        // --output: writes PREFIX.model and PREFIX.vocab
  int vocab_size = 0;               // --vocab-size
  std::string model_type = "bpe";   // --model-type: bpe | unigram
  double character_coverage = 1.0;  // --character-coverage: (0, 1]
  bool byte_fallback = false;       // --byte-fallback: unknown UTF-8 bytes become <0xNN> pieces
  // --normalization: SentencePiece's rule (nmt_nfkc, nfkc, identity, ...). identity together with
  // --keep-whitespace and --byte-fallback keeps newlines (as <0x0A>), which verse needs.
  std::string normalization = "nmt_nfkc";
  bool remove_extra_whitespaces = true;  // false with --keep-whitespace
  // Special ids (LLaMA's layout by default); -1 leaves the token out of the vocabulary.
  int unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  // At most this many lines are sampled from the corpus (seeded, so reproducible).
  int64_t input_sentence_size = 2'000'000;
  int num_threads = 0;  // 0: OMP_NUM_THREADS if set, else 2
  uint32_t seed = 1234;

  // Throws ascent::Error "[tokenizer] --flag: ..." naming the first bad flag.
  void validate() const;
};

// Requires a validated-looking `opts` (validate() is called first). Overwrites PREFIX.model and
// PREFIX.vocab, creating PREFIX's directory when needed. Throws ascent::Error naming the flag or
// file on bad input (missing corpus, vocabulary too large or too small for it).
void train_sentencepiece(const TrainOptions& opts);

}  // namespace ascent::tokenizer
