#pragma once
// Flags of `ascent train`, with Megatron-LM / AscendSpeed names (DESIGN.md section 1). The same
// keys can come from a config file (--config run.toml); the effective values are saved into every
// run and checkpoint directory.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/recompute.h"
#include "optim/loss_scaler.h"
#include "optim/lr_schedule.h"
#include "optim/optimizer.h"

namespace ascent {

struct TrainArgs {
  // Model: a preset, then any architecture flag given overrides it.
  std::string model = "tiny-llama";
  int64_t num_layers = 0, hidden_size = 0, ffn_hidden_size = 0, num_attention_heads = 0;
  bool group_query_attention = false;
  int64_t num_query_groups = 0, max_position_embeddings = 0, vocab_size = 0;
  std::string position_embedding_type, normalization;
  float norm_epsilon = 0.f, init_method_std = 0.f;
  float attention_dropout = 0.f, hidden_dropout = 0.f;  // training only; 0 = off

  // Batches.
  int64_t micro_batch_size = 4, global_batch_size = 0, seq_length = 256, train_iters = 100;

  // Data and tokenizer.
  std::vector<std::string> data_path;
  std::string split = "969,30,1";
  std::string tokenizer_type = "SentencePiece", tokenizer_name_or_path;
  // Instruction data (data/instruction_batches.h): --data-path names preprocess's output prefix.
  bool is_instruction_dataset = false;
  bool variable_seq_lengths = false;  // pad a micro-batch to a multiple of 32, not --seq-length
  bool pack = false;                  // several samples per row, attention within each sample
  // Pretraining rows holding several documents (data/batch.h, Megatron's EOD handling).
  bool reset_position_ids = false, reset_attention_mask = false, eod_mask_loss = false;

  // Optimizer and schedule.
  OptimConfig optim;
  LrSchedule lr;
  std::string lr_decay_style = "linear";
  float clip_grad = 1.0f;

  // Precision, randomness. --fp16: f16 operands with loss scaling (optim/loss_scaler.h).
  bool bf16 = false, fp16 = false;
  LossScaleConfig loss_scale;
  uint64_t seed = 1234;

  // Parallelism (DESIGN.md section 5; docs/PARALLEL.md). Launch under mpirun: world size =
  // TP x PP x DP.
  int tensor_model_parallel_size = 1, pipeline_model_parallel_size = 1;
  bool sequence_parallel = false;
  int64_t num_layers_per_virtual_pipeline_stage = 0;  // 0: no interleaving
  std::string manual_layers;                          // "5,6,6,5": layers per pipeline stage
  bool optimized_pipeline = false;                    // with --manual-mbs
  std::string manual_mbs;  // example-config-1, example-config-2 or "n1,n2,...": micro-batch sizes
  bool use_distributed_optimizer = false;  // ZeRO-1
  int zero_stage = 0;                      // 0-3; --use-distributed-optimizer = 1
  std::string foldx_mode;                  // "aiao" or empty
  double distributed_timeout_minutes = 10;
  int64_t ddp_bucket_size = 0;  // elements per gradient all-reduce bucket; 0: max(40M, 1M x DP)
  int64_t make_vocab_size_divisible_by = 1;

  // Activation recompute (model/recompute.h), Megatron's flags; --checkpoint-activations and
  // --checkpoint-num-layers are the older spelling of full / uniform / N.
  std::string recompute_granularity;  // "", "full" or "selective"
  std::string recompute_method;       // "uniform" or "block" (full only; default uniform)
  int64_t recompute_num_layers = 0;   // 0: 1
  bool checkpoint_activations = false;
  int64_t checkpoint_num_layers = 0;

  // Checkpoints, evaluation, logging.
  std::string save, load;
  int64_t save_interval = 0;
  bool finetune = false;
  int64_t eval_interval = 0, eval_iters = 10, log_interval = 10;
  std::string metrics_file;

  // Resolves derived defaults (global batch, decay iters) and validates; throws naming the flag.
  void finalize();
  // The effective ZeRO stage (--zero-stage, or 1 with --use-distributed-optimizer).
  int zero() const { return zero_stage > 0 ? zero_stage : (use_distributed_optimizer ? 1 : 0); }
  // Micro-batch sizes of one step on one data-parallel rank: --manual-mbs (with
  // --optimized-pipeline), else global / (micro x dp) times --micro-batch-size. Throws naming the
  // flag when they do not add up to the global batch.
  std::vector<int64_t> micro_batch_sizes(int dp_size) const;
  // f32, or the matmul operand dtype of --bf16 / --fp16.
  DType compute_dtype() const { return bf16 ? DType::BF16 : fp16 ? DType::F16 : DType::F32; }
  // The recompute policy of every model chunk (after finalize()).
  RecomputePolicy recompute_policy() const;
  // The effective configuration (every flag) as JSON; --checkpoint-activations appears as the
  // recompute flags it stands for.
  nlohmann::json to_json() const;

 private:
  void finalize_recompute();
};

// Registers every flag on `cmd` bound to `args`.
void add_train_flags(CLI::App& cmd, TrainArgs& args);

// The model configuration from --model plus the architecture flags that were given (!= 0 or
// non-empty). vocab_size, when 0 everywhere, comes from `tokenizer_vocab` (if > 0).
ModelConfig model_config_from_args(const TrainArgs& args, int64_t tokenizer_vocab);

}  // namespace ascent
