// `ascent preprocess`: text / JSON / JSONL / CSV / Parquet -> Megatron .bin/.idx, for pretraining
// or instruction tuning. Flags are AscendSpeed's tools/preprocess_data.py (Megatron-LM's names);
// flags of that script that change nothing here are accepted so launch scripts run unchanged.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "core/stop_signals.h"
#include "preprocess/handlers/handler.h"
#include "preprocess/pipeline.h"

namespace ascent::cli {
namespace {

// Flags of preprocess_data.py kept for compatibility.
struct CompatFlags {
  bool split_sentences = false, keep_newlines = false, streaming = false, not_use_fast = false;
  std::string dataset_impl = "mmap", hf_datasets_params;
  int64_t divisible_by = 128, pad_vocab_to = 0;
};

void apply_compat(const CompatFlags& c) {
  if (c.split_sentences)
    throw error(
        "[preprocess] --split-sentences: sentence splitting (NLTK punkt) is not supported; "
        "documents are written whole");
  if (c.dataset_impl != "mmap")
    throw error("[preprocess] --dataset-impl ", c.dataset_impl, ": only mmap is written");
  if (!c.hf_datasets_params.empty())
    throw error(
        "[preprocess] --hf-datasets-params: HuggingFace hub datasets are not supported; "
        "download the files and pass them with --input");
}

// --long-sequences, and --truncate as its shorthand.
void apply_seq_length_policy(const std::string& policy, bool truncate,
                             preprocess::PreprocessOptions& o) {
  o.seq_length_policy = preprocess::parse_seq_length_policy(policy);
  if (!truncate) return;
  if (o.seq_length_policy == preprocess::SeqLengthPolicy::kDrop)
    throw error("[preprocess] --truncate: contradicts --long-sequences drop");
  o.seq_length_policy = preprocess::SeqLengthPolicy::kTruncate;
}

}  // namespace

void add_preprocess_command(CLI::App& app) {
  auto o = std::make_shared<preprocess::PreprocessOptions>();
  auto c = std::make_shared<CompatFlags>();
  auto map_keys = std::make_shared<std::string>();
  auto truncate = std::make_shared<bool>(false);
  auto long_sequences = std::make_shared<std::string>("keep");
  CLI::App* cmd = app.add_subcommand(
      "preprocess", "tokenize text / JSON / JSONL / CSV / Parquet into Megatron .bin/.idx");

  // input data
  cmd->add_option("--input", o->input,
                  "a file or a directory: .txt .json .jsonl .csv .parquet, optionally .gz/.zst")
      ->required();
  cmd->add_flag("--document-per-file", o->document_per_file,
                ".txt input: each file is one document (default: each line)");
  std::string handlers;
  for (const std::string& h : preprocess::handler_names()) handlers += "\n  " + h;
  cmd->add_option("--handler-name", o->handler_name, "dataset handler:" + handlers)
      ->capture_default_str();
  cmd->add_option("--json-keys", o->json_keys,
                  "GeneralPretrainHandler: fields to tokenize, one dataset each")
      ->capture_default_str();
  cmd->add_option("--map-keys", *map_keys,
                  "JSON renaming handler fields to record fields, e.g. "
                  "'{\"instruction\":\"question\",\"output\":\"answer\"}'");
  cmd->add_option("--prompt-type", o->prompt_type,
                  "chat template of SharegptStyle/AlpacaStyleInstructionHandler: alpaca (default), "
                  "llama2, chatml");
  cmd->add_flag("--split-sentences", c->split_sentences, "not supported (accepted for scripts)");
  cmd->add_flag("--keep-newlines", c->keep_newlines, "ignored (only with --split-sentences)");
  cmd->add_flag("--streaming", c->streaming, "ignored: input is always streamed");
  cmd->add_option("--hf-datasets-params", c->hf_datasets_params, "not supported");

  // tokenizer
  cmd->add_option("--tokenizer-type", o->tokenizer_type, "tokenizer kind")
      ->check(CLI::IsMember(
          {"SentencePiece", "SentencePieceTokenizer", "PretrainedFromHF", "GPT2BPETokenizer"}))
      ->capture_default_str();
  cmd->add_option("--tokenizer-name-or-path", o->tokenizer_path,
                  "SentencePiece .model (or its directory), HF tokenizer directory or "
                  "tokenizer.json");
  cmd->add_option(
      "--vocab-file", o->vocab_file,
      "GPT2BPETokenizer: the vocabulary JSON, read by this name (e.g. gpt2-vocab.json)");
  cmd->add_option("--merge-file", o->merge_file,
                  "GPT2BPETokenizer: the BPE merges, read by this name (e.g. gpt2-merges.txt)");
  cmd->add_flag("--tokenizer-not-use-fast", c->not_use_fast, "ignored");
  cmd->add_flag("--append-eod", o->append_eod, "end every document / sample with the EOS id");
  cmd->add_option("--seq-length", o->seq_length,
                  "longest sequence wanted: longer ones are counted, and limited with "
                  "--long-sequences (0: no limit)")
      ->capture_default_str();
  // Sequences longer than --seq-length (addition).
  cmd->add_option("--long-sequences", *long_sequences,
                  "with --seq-length: keep (written whole, as AscendSpeed's script), drop (those "
                  "of --seq-length tokens or more) or truncate (cut to --seq-length tokens)")
      ->capture_default_str();
  cmd->add_flag("--truncate", *truncate, "shorthand for --long-sequences truncate");
  cmd->add_option("--make-vocab-size-divisible-by", c->divisible_by,
                  "ignored (model-side padding)");
  cmd->add_option("--pad-vocab-size-to", c->pad_vocab_to, "ignored (model-side padding)");

  // output and runtime
  cmd->add_option("--output-prefix", o->output_prefix,
                  "writes PREFIX_{key}_document.{bin,idx} (instruction handlers: "
                  "PREFIX_packed_{input_ids,attention_mask,labels}_document)")
      ->required();
  cmd->add_option("--dataset-impl", c->dataset_impl, "only mmap")->capture_default_str();
  cmd->add_option("--token-dtype", o->token_dtype,
                  "pretraining token type: int32 (AscendSpeed's preprocess_data.py, byte for "
                  "byte) or auto (u16 below 65500 vocabulary entries, Megatron-LM's rule)")
      ->capture_default_str();
  cmd->add_option("--workers", o->workers, "encoding threads (0: OMP_NUM_THREADS or all cores)")
      ->capture_default_str();
  cmd->add_option("--log-interval", o->log_interval,
                  "progress every N documents (a log line, or a bar update on a terminal)")
      ->capture_default_str();
  cmd->add_flag("--strict", o->strict, "stop at the first bad record instead of skipping it");

  cmd->callback([o, c, map_keys, truncate, long_sequences] {
    apply_compat(*c);
    if (!map_keys->empty()) o->map_keys = preprocess::parse_map_keys(*map_keys);
    apply_seq_length_policy(*long_sequences, *truncate, *o);
    // SIGTERM, SIGINT, SIGHUP, SIGUSR1: stop, remove the partial files, exit non-zero; earlier
    // outputs under the same names stay as they were (preprocess/dataset_writer.h).
    preprocess::PreprocessStats stats;
    {
      const StopSignals stop("stopping; no output is written");
      stats = preprocess::run_preprocess(*o, &StopSignals::flag());
    }
    std::fputs(preprocess::format_summary(*o, stats).c_str(), stdout);
  });
}

}  // namespace ascent::cli
