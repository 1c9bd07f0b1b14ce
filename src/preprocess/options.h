#pragma once
// Options of `ascent preprocess`. Flag names are AscendSpeed's tools/preprocess_data.py (which
// keeps Megatron-LM's), so launch scripts move over unchanged; the few additions are marked.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ascent::preprocess {

enum class SeqLengthPolicy {
  kSkip,      // AscendSpeed: a sequence of seq_length or more tokens is dropped
  kTruncate,  // addition: a longer sequence is cut to its first seq_length tokens
};

struct PreprocessOptions {
  // --input: a file or a directory (its files of the majority format, in name order). Formats
  // by extension: .txt (a document per line, or per file with document_per_file), .json,
  // .jsonl, .csv, .parquet, each optionally .gz / .zst.
  std::string input;
  bool document_per_file = false;  // --document-per-file (addition): a .txt file = 1 document
  // --handler-name: GeneralPretrainHandler (default), AlpacaPretrainHandler,
  // StackOverflowPythonPretrainHandler, GeneralInstructionHandler,
  // BelleMultiTurnInstructionHandler, MOSSInstructionHandler, MOSSMultiTurnHandler,
  // LeetcodePythonInstructionHandler, SharegptStyleInstructionHandler,
  // AlpacaStyleInstructionHandler (see handlers/handler.h).
  std::string handler_name = "GeneralPretrainHandler";
  // --json-keys: GeneralPretrainHandler's string fields; one dataset per key.
  std::vector<std::string> json_keys{"text"};
  // --map-keys (addition, MindSpeed-LLM's name): JSON object renaming the fields a handler
  // reads, handler field -> record field, e.g. {"instruction": "question", "output": "answer"}.
  std::map<std::string, std::string> map_keys;
  // --prompt-type (chat-template handlers only): alpaca, llama2, chatml (prompt_templates.h).
  std::string prompt_type;

  std::string tokenizer_type = "SentencePiece";  // --tokenizer-type
  std::string tokenizer_path;                    // --tokenizer-name-or-path

  std::string output_prefix;  // --output-prefix
  // --token-dtype (addition): "auto" = u16 below 65500 vocabulary entries, else i32 (Megatron-LM);
  // "int32" = always i32 (AscendSpeed's builders, byte for byte). Instruction data is always i32.
  std::string token_dtype = "auto";

  bool append_eod = false;  // --append-eod: end every document / sample with the EOS id
  // --seq-length: sequences of this many tokens or more are dropped (with --truncate, longer ones
  // are cut to this length instead); 0 = no limit.
  int64_t seq_length = 0;
  SeqLengthPolicy seq_length_policy = SeqLengthPolicy::kSkip;  // --truncate (addition)

  int workers = 0;             // --workers: encoding threads; 0 = OpenMP's default thread count
  int64_t log_interval = 100;  // --log-interval: a progress line every N documents
  bool strict = false;         // --strict (addition): the first bad record is fatal
  int max_examples = 5;        // examples kept per problem reason for the final report

  // Throws ascent::Error "[preprocess] --flag ...: ..." naming the first bad flag. Does not look
  // at the file system (the reader and the tokenizer do).
  void validate() const;
};

// Parses --map-keys JSON text; throws ascent::Error "[preprocess] --map-keys ...".
std::map<std::string, std::string> parse_map_keys(const std::string& json_text);

}  // namespace ascent::preprocess
