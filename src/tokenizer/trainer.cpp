#include "tokenizer/trainer.h"

#include <fmt/format.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace ascent::tokenizer {
namespace {

int default_num_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return 2;
}

void check_special_id(const char* flag, int id, int vocab_size) {
  if (id < -1 || id >= vocab_size)
    throw error("[tokenizer] ", flag, " ", id, ": must be -1 (absent) or in [0, --vocab-size ",
                vocab_size, ")");
}

// SentencePiece's own message, with the flag a user has to change when we can tell it.
std::string explain(const std::string& sp_message) {
  if (sp_message.find("Vocabulary size too high") != std::string::npos ||
      sp_message.find("Vocabulary size is smaller") != std::string::npos)
    return "--vocab-size does not fit the corpus: " + sp_message;
  return sp_message;
}

}  // namespace

void TrainOptions::validate() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (input.empty()) throw error("[tokenizer] --input: required");
  if (!fs::is_regular_file(input, ec)) throw error("[tokenizer] --input ", input, ": no such file");
  if (!std::ifstream(input)) throw error("[tokenizer] --input ", input, ": cannot be read");
  if (fs::file_size(input, ec) == 0) throw error("[tokenizer] --input ", input, ": empty file");
  // SentencePiece splits its input list at commas.
  if (input.find(',') != std::string::npos)
    throw error("[tokenizer] --input ", input, ": file names with ',' are not supported");
  if (output_prefix.empty()) throw error("[tokenizer] --output: required");
  if (vocab_size <= 0) throw error("[tokenizer] --vocab-size ", vocab_size, ": must be positive");
  if (model_type != "bpe" && model_type != "unigram")
    throw error("[tokenizer] --model-type ", model_type, ": expected bpe or unigram");
  if (!(character_coverage > 0.0 && character_coverage <= 1.0))
    throw error("[tokenizer] --character-coverage ", character_coverage, ": must be in (0, 1]");
  if (unk_id < 0) throw error("[tokenizer] --unk-id ", unk_id, ": SentencePiece requires <unk>");
  check_special_id("--unk-id", unk_id, vocab_size);
  check_special_id("--bos-id", bos_id, vocab_size);
  check_special_id("--eos-id", eos_id, vocab_size);
  check_special_id("--pad-id", pad_id, vocab_size);
  const int ids[] = {unk_id, bos_id, eos_id, pad_id};
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j)
      if (ids[i] >= 0 && ids[i] == ids[j])
        throw error("[tokenizer] special ids must differ: unk ", unk_id, ", bos ", bos_id, ", eos ",
                    eos_id, ", pad ", pad_id);
  if (input_sentence_size <= 0)
    throw error("[tokenizer] --input-sentence-size ", input_sentence_size, ": must be positive");
  if (num_threads < 0) throw error("[tokenizer] --num-threads ", num_threads, ": must be >= 0");
}

void train_sentencepiece(const TrainOptions& opts) {
  opts.validate();
  const std::filesystem::path parent = std::filesystem::path(opts.output_prefix).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) throw error("[tokenizer] --output ", opts.output_prefix, ": ", ec.message());

  const auto str = [](auto v) { return std::to_string(v); };
  const std::unordered_map<std::string, std::string> kwargs = {
      {"input", opts.input},
      {"model_prefix", opts.output_prefix},
      {"vocab_size", str(opts.vocab_size)},
      {"model_type", opts.model_type},
      {"character_coverage", fmt::format("{}", opts.character_coverage)},  // shortest exact
      {"byte_fallback", opts.byte_fallback ? "true" : "false"},
      {"normalization_rule_name", opts.normalization},
      {"remove_extra_whitespaces", opts.remove_extra_whitespaces ? "true" : "false"},
      {"unk_id", str(opts.unk_id)},
      {"bos_id", str(opts.bos_id)},
      {"eos_id", str(opts.eos_id)},
      {"pad_id", str(opts.pad_id)},
      {"input_sentence_size", str(opts.input_sentence_size)},
      {"shuffle_input_sentence", "true"},
      {"num_threads", str(opts.num_threads > 0 ? opts.num_threads : default_num_threads())},
      {"minloglevel", "1"},  // warnings and errors only; INFO prints every merge
  };
  // Sentence sampling is the only randomness in training; the seed is process-global.
  sentencepiece::SetRandomGeneratorSeed(opts.seed);
  const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs);
  if (!status.ok())
    throw error("[tokenizer] training on ", opts.input, " failed: ", explain(status.ToString()));
}

}  // namespace ascent::tokenizer
