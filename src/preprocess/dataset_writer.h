#pragma once
// Writes handled records into Megatron indexed datasets: one per pretraining key
// (`{prefix}_{key}_document`), or the instruction triple
// (`{prefix}_packed_{input_ids,attention_mask,labels}_document`, always i32, attention_mask 1 per
// token as AscendSpeed writes the HF tokenizer's mask).
//
// Every dataset is built under a staging name in the output directory; commit() finalizes them
// all and only then renames them into place (every .bin, then every .idx), so a run that fails or
// is interrupted leaves no partial dataset under the output names, and earlier outputs stay as
// they were.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/indexed_dataset.h"
#include "preprocess/options.h"
#include "preprocess/sample.h"

namespace ascent::preprocess {

// The dataset prefixes a run writes, in output-key order.
std::vector<std::string> output_prefixes(const std::string& output_prefix, OutputKind kind,
                                         const std::vector<std::string>& keys);

// What --seq-length did to the sequences of a run (report.h prints it).
struct LengthLimitCounts {
  int64_t dropped = 0;    // kDrop: sequences of seq_length tokens or more, left out
  int64_t truncated = 0;  // kTruncate: sequences of more than seq_length tokens, cut
  int64_t kept_long = 0;  // kKeep: sequences of more than seq_length tokens, written whole
};

// Applies --seq-length to a record: sequences of `seq_length` or more tokens are dropped (kDrop;
// an instruction sample leaves all three datasets), sequences longer than `seq_length` are cut to
// it (kTruncate) or written whole and counted (kKeep, AscendSpeed's script). seq_length 0 does
// nothing. Accumulates into `counts`.
void limit_sequences(HandledRecord& rec, int64_t seq_length, SeqLengthPolicy policy,
                     LengthLimitCounts& counts);

class DatasetWriter {
 public:
  // Creates the output directory and the staging builders. Throws ascent::Error when it cannot.
  DatasetWriter(OutputKind kind, std::vector<std::string> prefixes, data::TokenType type);
  ~DatasetWriter();  // without commit(): removes everything it wrote
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Appends the record's documents. Accumulates documents (records with at least one sequence),
  // sequences and tokens (pretraining: all keys; instruction: input_ids).
  void write(const HandledRecord& rec, int64_t* documents, int64_t* sequences, int64_t* tokens);
  // Finalizes every dataset and renames all of them into place.
  void commit();

  const std::vector<std::string>& prefixes() const { return prefixes_; }

 private:
  OutputKind kind_;
  std::vector<std::string> prefixes_, staging_;
  std::vector<std::unique_ptr<data::IndexedDatasetBuilder>> builders_;
  std::vector<int32_t> ones_;  // attention_mask source
  bool committed_ = false;
};

}  // namespace ascent::preprocess
