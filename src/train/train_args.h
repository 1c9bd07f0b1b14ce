#pragma once
// Flags of `ascent train`, with Megatron-LM / AscendSpeed names (DESIGN.md section 1). Each part
// of the run declares its own flags in one table next to its config (core/flags.h); TrainArgs
// composes them. The same keys can come from a config file (--config run.toml); the effective
// values (to_json()) are saved into every run and checkpoint directory.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/flags.h"
#include "data/data_config.h"
#include "model/config.h"
#include "model/model_overrides.h"
#include "model/recompute.h"
#include "optim/loss_scaler.h"
#include "optim/lr_schedule.h"
#include "optim/optimizer.h"
#include "optim/precision.h"
#include "parallel/parallel_config.h"
#include "train/run_config.h"

namespace ascent {

struct TrainArgs {
  ModelOverrides model;             // --model preset + architecture overrides
  ::ascent::data::DataConfig data;  // data, tokenizer, batch shape
  OptimConfig optim;                // optimizer, gradient clipping
  LrSchedule lr;                    // learning-rate schedule
  Precision precision;              // --bf16 / --fp16
  LossScaleConfig loss_scale;       // --fp16 loss scaling
  // TP / PP / DP layout, ZeRO (qualified: the member's name is the namespace's).
  ::ascent::parallel::ParallelConfig parallel;
  RecomputeConfig recompute;  // activation recompute
  RunConfig run;              // iterations, seed, checkpoints, evaluation, logging
  // The flags set explicitly on the command line or in a --config file (not a flag itself, never
  // saved); empty for a configuration built in code.
  flags::GivenFlags given;
  // Lines for rank 0 to print: flags finalize() adjusted as Megatron does (not a flag).
  std::vector<std::string> notes;

  // Every flag, bound to this instance: the parts' tables in order (core/flags.h).
  flags::Table flags();
  // Resolves derived defaults (global batch, decay iters, recompute) and validates; throws
  // naming the flag.
  void finalize();
  // True when `flag` ("--loss-scale") was set: in `given`, or not at its default value.
  bool is_set(std::string_view flag) const;
  // The effective ZeRO stage (--zero-stage, or 1 with --use-distributed-optimizer).
  int zero() const { return parallel.zero(); }
  // Micro-batch sizes of one step on one data-parallel rank: --manual-mbs (with
  // --optimized-pipeline), else global / (micro x dp) times --micro-batch-size. Throws naming the
  // flag when they do not add up to the global batch.
  std::vector<int64_t> micro_batch_sizes(int dp_size) const;
  // f32, or the matmul operand dtype of --bf16 / --fp16.
  DType compute_dtype() const { return precision.compute_dtype(); }
  // The recompute policy of every model chunk (after finalize()).
  RecomputePolicy recompute_policy() const { return recompute.policy(); }
  // The effective configuration (every flag) as JSON; --checkpoint-activations appears as the
  // recompute flags it stands for.
  nlohmann::json to_json() const { return flags::to_json(flags::read_only(*this)); }
  // The split of the model over TP and PP ranks (--manual-layers parsed).
  ModelParallelConfig model_parallel() const { return parallel.model_parallel(); }
};

// The model configuration from --model plus the architecture flags that were given
// (ModelOverrides::resolve with args.given). vocab_size, unless given, comes from
// `tokenizer_vocab` (if > 0).
ModelConfig model_config_from_args(const TrainArgs& args, int64_t tokenizer_vocab);

}  // namespace ascent
