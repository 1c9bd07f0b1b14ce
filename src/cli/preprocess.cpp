// `ascent preprocess`: text / JSONL documents -> Megatron .bin/.idx for pretraining. Flag names
// are Megatron-LM's / AscendSpeed's tools/preprocess_data.py.
#include "preprocess/pretrain.h"

#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"

namespace ascent::cli {
namespace {

void print_summary(const preprocess::PreprocessOptions& opts, const preprocess::PreprocessStats& s) {
  const double mb = static_cast<double>(s.input_bytes) / 1e6;
  std::printf("input        %s (%.2f MB, %lld lines)\n", opts.input.c_str(), mb,
              static_cast<long long>(s.lines));
  std::printf("documents    %lld\n", static_cast<long long>(s.documents));
  std::printf("tokens       %lld%s\n", static_cast<long long>(s.tokens),
              opts.append_eod ? " (EOD included)" : "");
  std::printf("skipped      %lld empty lines, %lld empty documents, %lld malformed lines\n",
              static_cast<long long>(s.empty_lines), static_cast<long long>(s.empty_documents),
              static_cast<long long>(s.malformed_lines));
  for (const std::string& m : s.malformed_examples) std::printf("  %s\n", m.c_str());
  if (s.malformed_lines > static_cast<long long>(s.malformed_examples.size()))
    std::printf("  ... and %lld more\n", static_cast<long long>(s.malformed_lines) -
                                             static_cast<long long>(s.malformed_examples.size()));
  std::printf("time         %.2f s (%.2f MB/s)\n", s.seconds, s.seconds > 0 ? mb / s.seconds : 0.0);
  for (const std::string& out : s.outputs) std::printf("wrote        %s.{bin,idx}\n", out.c_str());
}

}  // namespace

void add_preprocess_command(CLI::App& app) {
  auto o = std::make_shared<preprocess::PreprocessOptions>();
  CLI::App* cmd =
      app.add_subcommand("preprocess", "tokenize .txt / .jsonl documents into Megatron .bin/.idx");
  cmd->add_option("--input", o->input, ".txt (one document per line) or .jsonl/.json")->required();
  cmd->add_option("--json-keys", o->json_keys, "JSON fields to tokenize, one dataset each")
      ->capture_default_str();
  cmd->add_option("--tokenizer-type", o->tokenizer_type, "tokenizer kind")
      ->check(CLI::IsMember({"SentencePiece", "SentencePieceTokenizer"}))
      ->capture_default_str();
  cmd->add_option("--tokenizer-name-or-path", o->tokenizer_path,
                  "SentencePiece .model file or its directory")
      ->required();
  cmd->add_option("--output-prefix", o->output_prefix, "writes PREFIX_{key}_document.{bin,idx}")
      ->required();
  cmd->add_flag("--append-eod", o->append_eod, "end every document with the EOS id");
  cmd->add_flag("--strict", o->strict, "fail on the first malformed JSON line");
  cmd->add_option("--log-interval", o->log_interval, "progress line every N documents")
      ->capture_default_str();
  cmd->add_option("--workers", o->workers, "encoding threads (0: OMP_NUM_THREADS)")
      ->capture_default_str();
  cmd->callback([o] { print_summary(*o, preprocess::preprocess_pretrain(*o)); });
}

}  // namespace ascent::cli
