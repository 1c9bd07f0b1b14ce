#include "data/data_config.h"

#include <filesystem>

#include "core/error.h"

namespace ascent::data {

flags::Table DataConfig::flags() {
  flags::Table t("train");
  t.add("--micro-batch-size", micro_batch_size, "samples per micro-batch on each rank")
      .check(flags::positive());
  t.add("--global-batch-size", global_batch_size,
        "samples per optimizer step over all ranks (0: --micro-batch-size)");
  t.add("--seq-length", seq_length, "tokens per training sample").check(flags::positive());
  t.add("--data-path", data_path, "PREFIX, or W1 PREFIX1 W2 PREFIX2 ... to blend (required)")
      .check(flags::holds([](const nlohmann::json& v) { return !v.empty(); }, "is required"));
  t.add("--split", split, "train,valid,test document weights");
  t.add("--tokenizer-type", tokenizer_type, "SentencePiece, PretrainedFromHF or GPT2BPETokenizer");
  t.add("--tokenizer-name-or-path", tokenizer_name_or_path,
        "tokenizer file or HF directory; it gives the vocabulary size (empty: none, "
        "--vocab-size or the preset's)");
  t.add("--is-instruction-dataset", is_instruction_dataset,
        "--data-path PREFIX names PREFIX_packed_{input_ids,attention_mask,labels}_document "
        "(preprocess with an instruction handler); loss only on the response");
  t.add("--variable-seq-lengths", variable_seq_lengths,
        "pad each micro-batch to a multiple of 32 of its longest row, not --seq-length");
  t.add("--pack", pack,
        "instruction data: pack several samples into each row of --seq-length tokens "
        "(positions restart and attention stays within each sample)");
  // Instruction samples that do not fit a row (data/instruction_fit.h).
  t.add("--long-samples", long_samples,
        "instruction data: samples longer than --seq-length + 1 tokens are cut to the row and "
        "counted (truncate, AscendSpeed), left out (drop) or refused (error)")
      .check(flags::one_of({"truncate", "drop", "error"}));
  t.add("--reset-position-ids", reset_position_ids,
        "pretraining: positions restart at 0 after each EOD (the tokenizer's EOS)");
  t.add("--reset-attention-mask", reset_attention_mask,
        "pretraining: no attention across EOD tokens");
  t.add("--eod-mask-loss", eod_mask_loss, "pretraining: no loss where the input token is EOD");
  // Megatron / AscendSpeed spellings (flag compatibility).
  t.add("--tokenizer-model", tokenizer_name_or_path,
        "Megatron's name of --tokenizer-name-or-path (a SentencePiece model)")
      .not_saved();
  t.add("--tokenizer-not-use-fast", tokenizer_not_use_fast,
        "with --tokenizer-type PretrainedFromHF: read the directory's tokenizer.model "
        "(HF's slow SentencePiece tokenizer), not tokenizer.json");
  return t;
}

void DataConfig::finalize() {
  if (global_batch_size == 0) global_batch_size = micro_batch_size;
  std::error_code ec;
  if (tokenizer_not_use_fast && tokenizer_type == "PretrainedFromHF" &&
      std::filesystem::is_regular_file(
          std::filesystem::path(tokenizer_name_or_path) / "tokenizer.model", ec))
    tokenizer_type = "SentencePiece";  // the directory's slow tokenizer, as HF's use_fast=False
  flags::validate(flags());
  if (global_batch_size % micro_batch_size != 0)
    throw error("[train] --global-batch-size ", global_batch_size,
                " is not a multiple of --micro-batch-size ", micro_batch_size);
  if (pack && !is_instruction_dataset)
    throw error("[train] --pack packs instruction samples: it needs --is-instruction-dataset");
  if (long_samples != "truncate" && !is_instruction_dataset)
    throw error("[train] --long-samples ", long_samples,
                ": applies to instruction samples (--is-instruction-dataset); pretraining rows are "
                "windows of --seq-length + 1 tokens of the document stream");
  if (is_instruction_dataset) {
    const char* flag = reset_position_ids     ? "--reset-position-ids"
                       : reset_attention_mask ? "--reset-attention-mask"
                       : eod_mask_loss        ? "--eod-mask-loss"
                                              : nullptr;
    if (flag)
      throw error("[train] ", flag,
                  " is for pretraining rows with EOD-separated documents; with "
                  "--is-instruction-dataset every sample starts its own row (or segment, --pack)");
  }
}

}  // namespace ascent::data
