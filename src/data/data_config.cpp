#include "data/data_config.h"

#include "core/error.h"

namespace ascent::data {

flags::Table DataConfig::flags() {
  flags::Table t("train");
  t.add("--micro-batch-size", micro_batch_size).check(flags::positive());
  t.add("--global-batch-size", global_batch_size, "default: --micro-batch-size");
  t.add("--seq-length", seq_length).check(flags::positive());
  t.add("--data-path", data_path, "PREFIX, or W1 PREFIX1 W2 PREFIX2 ... to blend")
      .check(flags::holds([](const nlohmann::json& v) { return !v.empty(); }, "is required"));
  t.add("--split", split, "train,valid,test document weights");
  t.add("--tokenizer-type", tokenizer_type);
  t.add("--tokenizer-name-or-path", tokenizer_name_or_path);
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
  return t;
}

void DataConfig::finalize() {
  if (global_batch_size == 0) global_batch_size = micro_batch_size;
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
