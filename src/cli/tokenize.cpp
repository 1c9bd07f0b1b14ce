// `ascent tokenize`: the token ids of a text, or the text of ids, with any tokenizer
// load_tokenizer knows (SentencePiece, HF tokenizer.json, GPT-2's vocab.json + merges.txt).
//
//   ascent tokenize --tokenizer-type PretrainedFromHF --tokenizer-name-or-path DIR --text "Hi"
//   ascent tokenize --tokenizer-name-or-path DIR --decode "128000 13347"
#include <cstdint>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/token_ids.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace ascent::cli {
namespace {

struct TokenizeArgs {
  std::string type = "PretrainedFromHF";
  std::string path;
  std::string text;
  std::string decode;
  bool no_special_tokens = false;
};


void run(const TokenizeArgs& a) {
  const auto tok = tokenizer::load_tokenizer(a.type, a.path);
  if (!a.decode.empty()) {
    std::printf("%s\n", tok->decode(parse_token_ids(a.decode, "--decode")).c_str());
    return;
  }
  const std::vector<int32_t> ids =
      a.no_special_tokens ? tok->encode(a.text) : tok->encode_with_special_tokens(a.text);
  std::printf("%s\n", format_token_ids(ids).c_str());
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto a = std::make_shared<TokenizeArgs>();
  CLI::App* cmd =
      app.add_subcommand("tokenize", "print the token ids of --text, or the text of --decode ids");
  cmd->add_option("--tokenizer-type", a->type, "tokenizer kind")
      ->check(CLI::IsMember(
          {"SentencePiece", "SentencePieceTokenizer", "PretrainedFromHF", "GPT2BPETokenizer"}))
      ->capture_default_str();
  cmd->add_option("--tokenizer-name-or-path", a->path,
                  "tokenizer directory, tokenizer.json or SentencePiece .model file")
      ->required();
  auto* text = cmd->add_option("--text", a->text, "text to encode");
  auto* decode = cmd->add_option("--decode", a->decode,
                                 "ids to decode, e.g. \"1 2 3\" (special tokens skipped)");
  text->excludes(decode);
  cmd->add_flag("--no-special-tokens", a->no_special_tokens,
                "encode without the post-processor's special tokens (HF add_special_tokens=False)");
  cmd->callback([a, text, decode] {
    if (text->count() == 0 && decode->count() == 0)
      throw error("[tokenizer] tokenize: give --text or --decode");
    run(*a);
  });
}

}  // namespace ascent::cli
