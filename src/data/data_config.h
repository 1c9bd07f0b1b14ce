#pragma once
// The data flags of `ascent train`: what to read (Megatron .bin/.idx prefixes, blend weights and
// split), the tokenizer, how samples become rows, and the batch shape.
#include <cstdint>
#include <string>
#include <vector>

#include "core/flags.h"

namespace ascent::data {

struct DataConfig {
  std::vector<std::string> data_path;  // PREFIX, or W1 PREFIX1 W2 PREFIX2 ...
  std::string split = "969,30,1";
  std::string tokenizer_type = "SentencePiece", tokenizer_name_or_path;
  bool tokenizer_not_use_fast = false;  // PretrainedFromHF directory: tokenizer.model, not .json
  // Instruction data (data/instruction_batches.h): --data-path names preprocess's output prefix.
  bool is_instruction_dataset = false;
  bool variable_seq_lengths = false;  // pad a micro-batch to a multiple of 32, not --seq-length
  bool pack = false;                  // several samples per row, attention within each sample
  // Instruction samples longer than --seq-length + 1 tokens (data/instruction_fit.h).
  std::string long_samples = "truncate";
  // Pretraining rows holding several documents (data/batch.h, Megatron's EOD handling).
  bool reset_position_ids = false, reset_attention_mask = false, eod_mask_loss = false;
  // Batches.
  int64_t micro_batch_size = 4, global_batch_size = 0, seq_length = 256;

  // The flags above, bound to this instance (core/flags.h).
  flags::Table flags();
  // Resolves --global-batch-size (default: --micro-batch-size) and validates; throws
  // "[train] --flag ...".
  void finalize();
};

}  // namespace ascent::data
