#pragma once
// `ascent preprocess` for pretraining data: text documents -> Megatron indexed datasets
// `{output_prefix}_{key}_document.{bin,idx}`, one sequence per document (DESIGN.md section 6).
#include <cstdint>
#include <string>
#include <vector>

namespace ascent::preprocess {

struct PreprocessOptions {
  // --input: `.txt` (one document per line) or `.jsonl` / `.json` (one JSON object per line,
  // Megatron's "loose JSON").
  std::string input;
  // --json-keys: the string field(s) of each JSON line; each key gets its own dataset. A `.txt`
  // input takes exactly one key, used only to name the output.
  std::vector<std::string> json_keys{"text"};
  std::string tokenizer_type = "SentencePiece";  // --tokenizer-type
  std::string tokenizer_path;                    // --tokenizer-name-or-path
  std::string output_prefix;                     // --output-prefix
  bool append_eod = false;       // --append-eod: end every non-empty document with the EOS id
  bool strict = false;           // --strict: a malformed JSON line is an error, not a skip
  int64_t log_interval = 10000;  // --log-interval: progress line every this many documents
  int workers = 0;               // --workers: encoding threads; 0 = OpenMP's default

  // Throws ascent::Error "[preprocess] --flag ...: ..." naming the first bad flag.
  void validate() const;
};

struct PreprocessStats {
  int64_t lines = 0;            // lines read
  int64_t documents = 0;        // documents written (to each key's dataset)
  int64_t tokens = 0;           // tokens written, all keys together (EOD included)
  int64_t empty_lines = 0;      // blank lines, skipped
  int64_t empty_documents = 0;  // lines whose every key encoded to no tokens, skipped
  int64_t malformed_lines = 0;  // JSON lines skipped: unparsable, not an object, key missing or
                                // not a string
  std::vector<std::string> malformed_examples;  // the first few, as "file:line: reason"
  int64_t input_bytes = 0;
  double seconds = 0.0;
  std::vector<std::string> outputs;  // the dataset prefixes written, one per key
};

// Reads opts.input, encodes every document with the tokenizer (no BOS; EOS when append_eod) and
// writes one dataset per key with data::token_type_for_vocab(vocab size). Replaces the outputs
// (creating their directory) only once the whole input was read: a failed run leaves earlier
// files as they were and no partial ones.
// Throws ascent::Error "[preprocess] ..." for bad options, unreadable input, and (with strict)
// "[preprocess] FILE:LINE: ..." at the first malformed line.
PreprocessStats preprocess_pretrain(const PreprocessOptions& opts);

}  // namespace ascent::preprocess
