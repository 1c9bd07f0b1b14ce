#include "train/train_data.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "data/blended_dataset.h"
#include "data/data_path_hints.h"
#include "data/gpt_dataset.h"
#include "data/indexed_dataset.h"
#include "data/instruction_batches.h"
#include "data/instruction_fit.h"
#include "tokenizer/tokenizer.h"

namespace ascent {
namespace {

// The tokenizer's special ids the data flags need, or null when none was given.
std::unique_ptr<tokenizer::Tokenizer> load_data_tokenizer(const TrainArgs& a) {
  if (a.data.tokenizer_name_or_path.empty()) return nullptr;
  return tokenizer::load_tokenizer(a.data.tokenizer_type, a.data.tokenizer_name_or_path);
}

data::EodMasks eod_masks(const TrainArgs& a, const tokenizer::Tokenizer* tok) {
  data::EodMasks m;
  m.reset_position_ids = a.data.reset_position_ids;
  m.reset_attention_mask = a.data.reset_attention_mask;
  m.eod_mask_loss = a.data.eod_mask_loss;
  if (!m.any()) return m;
  const char* flag = a.data.reset_position_ids     ? "--reset-position-ids"
                     : a.data.reset_attention_mask ? "--reset-attention-mask"
                                                   : "--eod-mask-loss";
  if (tok == nullptr)
    throw error("[train] ", flag, " needs --tokenizer-name-or-path: EOD is the tokenizer's EOS id");
  m.eod = tok->eos_id();
  if (m.eod < 0)
    throw error("[train] ", flag, ": tokenizer ", a.data.tokenizer_name_or_path,
                " has no EOS token");
  return m;
}

TrainData pretraining_data(const TrainArgs& a, const tokenizer::Tokenizer* tok, int64_t dp_rank,
                           int64_t dp_size, int64_t vocab) {
  const std::vector<data::DataPathEntry> entries = data::parse_data_path(a.data.data_path);
  // Per split (train, valid, test): its part of every --data-path entry, and their weights.
  std::vector<std::shared_ptr<const data::GptDataset>> parts[3];
  std::vector<double> weights[3];
  for (const data::DataPathEntry& e : entries) {
    if (const auto warning = data::check_pretraining_prefix(e.prefix))
      ASCENT_LOG_WARN("{}", *warning);
    auto ds = std::make_shared<const data::IndexedDataset>(e.prefix);
    const auto splits = data::split_documents(ds->num_documents(), a.data.split);
    for (int k = 0; k < 3; ++k) {
      if (splits[k].empty()) continue;
      try {
        parts[k].push_back(std::make_shared<data::GptDataset>(ds, splits[k], a.data.seq_length,
                                                              a.run.seed, k, vocab));
      } catch (const Error& err) {
        if (k < 2) throw;
        // The test split only adds a loss at the end (the default --split 969,30,1 gives a
        // small corpus a sliver of it): one too short for a sequence is left out.
        ASCENT_LOG_WARN("[train] --split {}: no test loss at the end: {}", a.data.split,
                        err.what());
        continue;
      }
      weights[k].push_back(e.weight);
    }
  }
  if (parts[0].empty())
    throw error("[train] --split ", a.data.split, " leaves no training documents");
  auto blend = [](std::vector<std::shared_ptr<const data::GptDataset>>& v,
                  std::vector<double>& w) -> std::shared_ptr<const data::SampleSource> {
    if (v.size() == 1) return v[0];
    return std::make_shared<data::BlendedDataset>(v, w);
  };
  const data::EodMasks masks = eod_masks(a, tok);
  TrainData d;
  d.train = std::make_unique<data::LmBatches>(
      std::make_unique<data::DataLoader>(blend(parts[0], weights[0]), dp_rank, dp_size),
      a.data.micro_batch_size, masks);
  // Evaluation splits: every rank reads the same batches.
  for (int k : {1, 2}) {
    if (parts[k].empty()) continue;
    (k == 1 ? d.valid : d.test) = std::make_unique<data::LmBatches>(
        std::make_unique<data::DataLoader>(blend(parts[k], weights[k])), a.data.micro_batch_size,
        masks);
  }
  if (masks.any())
    d.summary.push_back(
        fmt::format("pretraining rows split at EOD id {}:{}{}{}", masks.eod,
                    masks.reset_position_ids ? " positions restart" : "",
                    masks.reset_attention_mask ? ", no attention across documents" : "",
                    masks.eod_mask_loss ? ", no loss on EOD" : ""));
  return d;
}

// Padding: the tokenizer's pad id, else its EOS, else 0 (padding never reaches the loss).
int32_t pad_id(const tokenizer::Tokenizer* tok) {
  if (tok == nullptr) return 0;
  if (tok->pad_id() >= 0) return tok->pad_id();
  return tok->eos_id() >= 0 ? tok->eos_id() : 0;
}

// The samples of one split after --long-samples, with what was cut or left out in `notes`.
// Throws when no sample of the training split keeps a label token (is_train), or for
// --long-samples error when a sample does not fit; a validation split without labels is dropped
// (returns empty) with a warning.
std::vector<int64_t> fitting_samples(const TrainArgs& a, const data::InstructionDataset& ds,
                                     const std::vector<int64_t>& samples, bool is_train,
                                     std::vector<std::string>& notes) {
  const int64_t T = a.data.seq_length;
  const data::LongSamples policy = data::parse_long_samples(a.data.long_samples);
  data::SampleFit f = data::fit_samples(ds, samples, T);
  const std::string split = is_train ? "training" : "validation";
  const std::string cut = data::describe_cut(f, T);
  if (f.cut > 0 && policy == data::LongSamples::kError)
    throw error("[train] --long-samples error: ", split, " split of ", ds.prefix(), ": ", cut,
                "; raise --seq-length, or choose --long-samples truncate / drop");
  std::vector<int64_t> kept = samples;
  int64_t without_labels = f.without_labels;
  if (f.cut > 0 && policy == data::LongSamples::kDrop) {
    kept = std::move(f.fitting);
    without_labels = f.fitting_without_labels;
    notes.push_back(fmt::format("{} split: {}; those {} are left out (--long-samples drop)", split,
                                cut, f.cut));
  } else if (f.cut > 0) {
    notes.push_back(
        fmt::format("{} split: {}; they are cut to the row (--long-samples truncate; "
                    "drop or error to avoid it)",
                    split, cut));
  }
  const auto n = static_cast<int64_t>(kept.size());
  if (n > 0 && without_labels < n) return kept;
  const std::string why = fmt::format(
      "no {} sample of {} keeps a label token within --seq-length {} ({} samples{}): "
      "there is nothing to learn (the loss would be 0)",
      split, ds.prefix(), T, n, f.cut ? fmt::format(", {} cut, {} emptied", f.cut, f.emptied) : "");
  if (is_train)
    throw error("[train] ", why, "; raise --seq-length (the longest sample has ", f.longest,
                " tokens)", n == 0 ? " or use --long-samples truncate" : "");
  notes.push_back(why + "; validation is skipped");
  return {};
}

TrainData instruction_data(const TrainArgs& a, const tokenizer::Tokenizer* tok, int64_t dp_rank,
                           int64_t dp_size, int64_t vocab) {
  if (a.data.data_path.size() != 1)
    throw error(
        "[train] --is-instruction-dataset takes one --data-path PREFIX (preprocess's "
        "--output-prefix), got ",
        a.data.data_path.size(), " values");
  const std::string& prefix = a.data.data_path[0];
  auto ds = std::make_shared<const data::InstructionDataset>(prefix, vocab);
  auto splits = data::split_documents(ds->num_samples(), a.data.split);
  if (splits[0].empty())
    throw error("[train] --split ", a.data.split, " leaves no training samples of ", prefix);
  std::vector<std::string> notes;
  splits[0] = fitting_samples(a, *ds, splits[0], true, notes);
  if (!splits[1].empty()) splits[1] = fitting_samples(a, *ds, splits[1], false, notes);
  for (const std::string& n : notes) ASCENT_LOG_WARN("[train] {}", n);
  data::InstructionBatchOptions o;
  o.seq_length = a.data.seq_length;
  o.micro_batch_size = a.data.micro_batch_size;
  o.pack = a.data.pack;
  o.variable_seq_lengths = a.data.variable_seq_lengths;
  o.pad_id = pad_id(tok);
  o.dp_rank = dp_rank;
  o.dp_size = dp_size;
  auto train = std::make_unique<data::InstructionBatches>(
      std::make_shared<data::InstructionSplit>(ds, splits[0], a.run.seed, 0), o);
  const data::EpochTokens e = train->epoch_tokens(0);
  TrainData d;
  d.summary.push_back(fmt::format("instruction data {}: {} train / {} valid samples; {}, pad id {}",
                                  prefix, splits[0].size(), splits[1].size(),
                                  a.data.pack ? "packed rows"
                                  : a.data.variable_seq_lengths
                                      ? "one sample per row, variable length"
                                      : "one sample per row",
                                  o.pad_id));
  d.summary.push_back(
      fmt::format("epoch 0: {} rows, {} input tokens, {} tokens with padding ({:.1f}% padding)",
                  e.rows, e.real_tokens, e.tokens, 100.0 * e.padding()));
  d.train = std::move(train);
  o.dp_rank = 0, o.dp_size = 1;  // evaluation splits: every rank reads the same batches
  for (int k : {1, 2}) {
    if (splits[k].empty()) continue;
    (k == 1 ? d.valid : d.test) = std::make_unique<data::InstructionBatches>(
        std::make_shared<data::InstructionSplit>(ds, splits[k], a.run.seed, k), o);
  }
  return d;
}

}  // namespace

TrainData build_train_data(const TrainArgs& args, int64_t dp_rank, int64_t dp_size,
                           int64_t vocab_size) {
  const bool needs_tokenizer = args.data.is_instruction_dataset || args.data.reset_position_ids ||
                               args.data.reset_attention_mask || args.data.eod_mask_loss;
  const auto tok = needs_tokenizer ? load_data_tokenizer(args) : nullptr;
  if (args.data.is_instruction_dataset)
    return instruction_data(args, tok.get(), dp_rank, dp_size, vocab_size);
  return pretraining_data(args, tok.get(), dp_rank, dp_size, vocab_size);
}

}  // namespace ascent
