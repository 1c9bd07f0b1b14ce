#pragma once
// Options of `ascent preprocess`. Flag names are AscendSpeed's tools/preprocess_data.py (which
// keeps Megatron-LM's), so launch scripts move over unchanged; the few additions are marked.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ascent::preprocess {

// What --seq-length does to a sequence of more tokens (--long-sequences, addition).
enum class SeqLengthPolicy {
  kKeep,      // AscendSpeed's preprocess_data.py: kept whole (--seq-length only counts them)
  kDrop,      // a sequence of seq_length or more tokens is dropped
  kTruncate,  // a longer sequence is cut to its first seq_length tokens
};
// "keep", "drop", "truncate" -> the policy; throws "[preprocess] --long-sequences ..." otherwise.
SeqLengthPolicy parse_seq_length_policy(const std::string& name);
const char* seq_length_policy_name(SeqLengthPolicy p);

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
  // --vocab-file / --merge-file (Megatron's GPT2BPETokenizer): read by name, instead of
  // --tokenizer-name-or-path.
  std::string vocab_file, merge_file;

  std::string output_prefix;  // --output-prefix
  // --token-dtype (addition): "int32" = always i32, as AscendSpeed's preprocess_data.py (its
  // builders get no vocabulary size), so the default output is byte for byte AscendSpeed's;
  // "auto" = u16 below 65500 vocabulary entries, else i32 (Megatron-LM's rule). Instruction data
  // is always i32.
  std::string token_dtype = "int32";

  bool append_eod = false;  // --append-eod: end every document / sample with the EOS id
  // --seq-length: AscendSpeed's script accepts it and keeps every sequence; here longer sequences
  // are counted in the summary and, with --long-sequences drop / truncate, dropped (seq_length
  // tokens or more) or cut to seq_length tokens. 0 = no limit.
  int64_t seq_length = 0;
  SeqLengthPolicy seq_length_policy = SeqLengthPolicy::kKeep;  // --long-sequences (addition)

  int workers = 0;             // --workers: encoding threads; 0 = OpenMP's default thread count
  int64_t log_interval = 100;  // --log-interval: progress every N documents (progress.h)
  bool strict = false;         // --strict (addition): the first bad record is fatal
  int max_examples = 5;        // examples kept per problem reason for the final report

  // Throws ascent::Error "[preprocess] --flag ...: ..." naming the first bad flag. Does not look
  // at the file system (the reader and the tokenizer do).
  void validate() const;
};

// Parses --map-keys JSON text; throws ascent::Error "[preprocess] --map-keys ...".
std::map<std::string, std::string> parse_map_keys(const std::string& json_text);

}  // namespace ascent::preprocess
