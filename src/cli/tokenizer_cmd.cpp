// `ascent tokenizer {train,encode,decode}`: train a SentencePiece model on a corpus (the demo's
// tokenizer), and look at what a tokenizer does to a string or a list of ids.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/token_ids.h"
#include "core/error.h"
#include "core/timer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/trainer.h"

namespace ascent::cli {
namespace {

struct TokenizerArgs {
  std::string type = "SentencePiece";
  std::string path;
  std::string text;
  std::string ids;
};

void run_train(const tokenizer::TrainOptions& opts) {
  const Timer timer;
  tokenizer::train_sentencepiece(opts);
  std::printf("wrote %s.model and %s.vocab (%s, %d pieces) in %.1f s\n", opts.output_prefix.c_str(),
              opts.output_prefix.c_str(), opts.model_type.c_str(), opts.vocab_size,
              timer.seconds());
}

void run_encode(const TokenizerArgs& a) {
  const auto tok = tokenizer::load_tokenizer(a.type, a.path);
  std::printf("%s\n", format_token_ids(tok->encode(a.text)).c_str());
}


void run_decode(const TokenizerArgs& a) {
  const auto tok = tokenizer::load_tokenizer(a.type, a.path);
  std::printf("%s\n", tok->decode(parse_token_ids(a.ids, "--ids")).c_str());
}

void add_tokenizer_options(CLI::App* cmd, TokenizerArgs& a) {
  cmd->add_option("--tokenizer-name-or-path", a.path, "SentencePiece .model file or its directory")
      ->required();
  cmd->add_option("--tokenizer-type", a.type, "tokenizer kind")
      ->check(CLI::IsMember({"SentencePiece", "SentencePieceTokenizer"}))
      ->capture_default_str();
}

}  // namespace

void add_tokenizer_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("tokenizer", "train a SentencePiece model; encode and decode");
  cmd->require_subcommand(1);

  auto train = std::make_shared<tokenizer::TrainOptions>();
  CLI::App* t = cmd->add_subcommand("train", "train a SentencePiece model on a text file");
  t->add_option("--input", train->input, "corpus, one sentence per line")->required();
  t->add_option("--vocab-size", train->vocab_size, "number of pieces")->required();
  t->add_option("--model-type", train->model_type, "SentencePiece algorithm")
      ->check(CLI::IsMember({"bpe", "unigram"}))
      ->capture_default_str();
  t->add_option("--output", train->output_prefix, "writes PREFIX.model and PREFIX.vocab")
      ->required();
  t->add_option("--character-coverage", train->character_coverage,
                "fraction of characters the pieces must cover")
      ->capture_default_str();
  t->add_flag("--byte-fallback", train->byte_fallback, "unknown bytes become <0xNN> pieces");
  t->add_option("--normalization", train->normalization, "nmt_nfkc (default), nfkc, identity, ...");
  t->add_flag("--keep-whitespace{false}", train->remove_extra_whitespaces,
              "keep runs of spaces and newlines instead of collapsing them");
  t->add_option("--unk-id", train->unk_id)->capture_default_str();
  t->add_option("--bos-id", train->bos_id, "-1: none")->capture_default_str();
  t->add_option("--eos-id", train->eos_id, "-1: none")->capture_default_str();
  t->add_option("--pad-id", train->pad_id, "-1: none")->capture_default_str();
  t->add_option("--input-sentence-size", train->input_sentence_size,
                "lines sampled from the corpus at most")
      ->capture_default_str();
  t->add_option("--num-threads", train->num_threads, "0: OMP_NUM_THREADS or 2");
  t->add_option("--seed", train->seed, "sentence sampling seed")->capture_default_str();
  t->callback([train] { run_train(*train); });

  auto enc = std::make_shared<TokenizerArgs>();
  CLI::App* e = cmd->add_subcommand("encode", "print the token ids of a text (no BOS/EOS)");
  add_tokenizer_options(e, *enc);
  e->add_option("--text", enc->text, "text to encode")->required();
  e->callback([enc] { run_encode(*enc); });

  auto dec = std::make_shared<TokenizerArgs>();
  CLI::App* d = cmd->add_subcommand("decode", "print the text of token ids");
  add_tokenizer_options(d, *dec);
  d->add_option("--ids", dec->ids, "ids separated by spaces or commas, e.g. \"1 2 3\"")->required();
  d->callback([dec] { run_decode(*dec); });
}

}  // namespace ascent::cli
