#pragma once
// The trainer's data from the data flags: pretraining windows (GptDataset, blended when several
// --data-path entries are given; EOD masks with --reset-position-ids / --reset-attention-mask /
// --eod-mask-loss) or instruction samples (--is-instruction-dataset; --variable-seq-lengths,
// --pack). Both come as data::BatchSource, so the training loop does not know which.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/batch.h"
#include "train/train_args.h"

namespace ascent {

struct TrainData {
  std::unique_ptr<data::BatchSource> train;
  std::unique_ptr<data::BatchSource> valid;  // nullptr when the split has no validation data
  std::unique_ptr<data::BatchSource> test;   // nullptr when the split has no test data
  std::vector<std::string> summary;          // lines for the log
};

// Builds the three splits (train, valid, test) for this data-parallel rank. vocab_size > 0: every
// token read (inputs and targets) is checked against it (data::TokenOutOfRange names the file,
// document or sample and token). Throws ascent::Error naming the flag or file: a --data-path that
// is not the dataset the flags expect (data/data_path_hints.h), or instruction samples of which
// none keeps a label token within --seq-length (data/instruction_fit.h).
TrainData build_train_data(const TrainArgs& args, int64_t dp_rank = 0, int64_t dp_size = 1,
                           int64_t vocab_size = 0);

}  // namespace ascent
