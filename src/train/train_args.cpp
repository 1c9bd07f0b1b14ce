#include "train/train_args.h"

#include "core/error.h"
#include "core/parse_number.h"

namespace ascent {

void add_train_flags(CLI::App& c, TrainArgs& a) {
  c.add_option("--model", a.model, "model preset (ascent plan --list)");
  c.add_option("--num-layers", a.num_layers);
  c.add_option("--hidden-size", a.hidden_size);
  c.add_option("--ffn-hidden-size", a.ffn_hidden_size);
  c.add_option("--num-attention-heads", a.num_attention_heads);
  c.add_flag("--group-query-attention", a.group_query_attention);
  c.add_option("--num-query-groups", a.num_query_groups);
  c.add_option("--max-position-embeddings", a.max_position_embeddings);
  c.add_option("--position-embedding-type", a.position_embedding_type, "rope, alibi or absolute");
  c.add_option("--normalization", a.normalization, "RMSNorm or LayerNorm");
  c.add_option("--norm-epsilon", a.norm_epsilon);
  c.add_option("--init-method-std", a.init_method_std);
  c.add_option("--vocab-size", a.vocab_size, "vocabulary size when no tokenizer is given");
  c.add_option("--attention-dropout", a.attention_dropout,
               "dropout probability of the attention probabilities (training only)");
  c.add_option("--hidden-dropout", a.hidden_dropout,
               "dropout probability of the attention and MLP outputs (training only)");

  c.add_option("--micro-batch-size", a.micro_batch_size);
  c.add_option("--global-batch-size", a.global_batch_size, "default: --micro-batch-size");
  c.add_option("--seq-length", a.seq_length);
  c.add_option("--train-iters", a.train_iters);

  c.add_option("--data-path", a.data_path, "PREFIX, or W1 PREFIX1 W2 PREFIX2 ... to blend");
  c.add_option("--split", a.split, "train,valid,test document weights");
  c.add_option("--tokenizer-type", a.tokenizer_type);
  c.add_option("--tokenizer-name-or-path", a.tokenizer_name_or_path);
  c.add_flag("--is-instruction-dataset", a.is_instruction_dataset,
             "--data-path PREFIX names PREFIX_packed_{input_ids,attention_mask,labels}_document "
             "(preprocess with an instruction handler); loss only on the response");
  c.add_flag("--variable-seq-lengths", a.variable_seq_lengths,
             "pad each micro-batch to a multiple of 32 of its longest row, not --seq-length");
  c.add_flag("--pack", a.pack,
             "instruction data: pack several samples into each row of --seq-length tokens "
             "(positions restart and attention stays within each sample)");
  c.add_flag("--reset-position-ids", a.reset_position_ids,
             "pretraining: positions restart at 0 after each EOD (the tokenizer's EOS)");
  c.add_flag("--reset-attention-mask", a.reset_attention_mask,
             "pretraining: no attention across EOD tokens");
  c.add_flag("--eod-mask-loss", a.eod_mask_loss,
             "pretraining: no loss where the input token is EOD");

  c.add_option("--optimizer", a.optim.name, "adam or sgd");
  c.add_option("--lr", a.lr.lr);
  c.add_option("--min-lr", a.lr.min_lr);
  c.add_option("--lr-decay-style", a.lr_decay_style, "constant, linear or cosine");
  c.add_option("--lr-warmup-iters", a.lr.warmup_iters);
  c.add_option("--lr-decay-iters", a.lr.decay_iters, "default: --train-iters");
  c.add_option("--adam-beta1", a.optim.beta1);
  c.add_option("--adam-beta2", a.optim.beta2);
  c.add_option("--adam-eps", a.optim.eps);
  c.add_option("--weight-decay", a.optim.weight_decay);
  c.add_option("--sgd-momentum", a.optim.momentum);
  c.add_option("--clip-grad", a.clip_grad, "global gradient norm limit (0 = off)");

  c.add_flag("--bf16", a.bf16, "bf16 matmul operands, fp32 master weights and optimizer state");
  c.add_flag("--fp16", a.fp16,
             "f16 matmul operands with loss scaling, fp32 master weights and optimizer state");
  c.add_option("--loss-scale", a.loss_scale.static_scale,
               "with --fp16: a fixed loss scale (0: dynamic, the default)");
  c.add_option("--initial-loss-scale", a.loss_scale.initial_scale,
               "with --fp16: the dynamic scale to start from (2^32)");
  c.add_option("--min-loss-scale", a.loss_scale.min_scale,
               "with --fp16: the dynamic scale never goes below this (1)");
  c.add_option("--loss-scale-window", a.loss_scale.window,
               "with --fp16: clean steps in a row before the dynamic scale doubles (1000)");
  c.add_option("--hysteresis", a.loss_scale.hysteresis,
               "with --fp16: overflowing steps before the dynamic scale halves (2)");
  c.add_option("--seed", a.seed);

  c.add_option("--tensor-model-parallel-size", a.tensor_model_parallel_size,
               "TP: heads, FFN columns and vocabulary split over this many ranks");
  c.add_option("--pipeline-model-parallel-size", a.pipeline_model_parallel_size,
               "PP: layers split into this many stages (1F1B schedule)");
  c.add_flag("--sequence-parallel", a.sequence_parallel,
             "with TP: norms, dropout and residuals on 1/TP of the tokens per rank");
  c.add_option("--num-layers-per-virtual-pipeline-stage", a.num_layers_per_virtual_pipeline_stage,
               "interleaved pipeline: chunks of this many layers per virtual stage");
  c.add_option("--manual-layers", a.manual_layers, "layers per pipeline stage, e.g. 5,6,6,5");
  c.add_flag("--optimized-pipeline", a.optimized_pipeline,
             "per-micro-batch sizes from --manual-mbs");
  c.add_option("--manual-mbs", a.manual_mbs,
               "example-config-1, example-config-2 or n1,n2,...: the micro-batch sizes of a step");
  c.add_flag("--use-distributed-optimizer", a.use_distributed_optimizer,
             "ZeRO-1: optimizer state sharded over data-parallel ranks");
  c.add_option("--zero-stage", a.zero_stage,
               "0-3 (1 = --use-distributed-optimizer; 2: gradients sharded too; 3: master "
               "weights too, each layer gathered when used; needs PP 1)");
  c.add_option("--foldx-mode", a.foldx_mode,
               "aiao: reduce each virtual stage's gradients as soon as its backward is done");
  c.add_option("--distributed-timeout-minutes", a.distributed_timeout_minutes,
               "a rank blocked this long in a collective aborts the job (fractions allowed)");
  c.add_option("--ddp-bucket-size", a.ddp_bucket_size,
               "gradient elements per data-parallel all-reduce bucket (0: max(40M, 1M x DP))");
  c.add_option("--make-vocab-size-divisible-by", a.make_vocab_size_divisible_by,
               "pad the vocabulary rows to a multiple of this times TP");
  c.add_option("--recompute-granularity", a.recompute_granularity,
               "full: drop layers' activations after the forward and recompute them in the "
               "backward; selective: accepted, attention scores are never stored anyway");
  c.add_option("--recompute-method", a.recompute_method,
               "with full: uniform (groups of --recompute-num-layers layers) or block (the first "
               "--recompute-num-layers layers of each stage)");
  c.add_option("--recompute-num-layers", a.recompute_num_layers,
               "layers per group (uniform) or "
               "recomputed layers per stage (block); default 1");
  c.add_flag("--checkpoint-activations", a.checkpoint_activations,
             "= --recompute-granularity full --recompute-method uniform");
  c.add_option("--checkpoint-num-layers", a.checkpoint_num_layers,
               "with --checkpoint-activations: = --recompute-num-layers");

  c.add_option("--save", a.save, "checkpoint directory");
  c.add_option("--save-interval", a.save_interval);
  c.add_option("--load", a.load, "ascent checkpoint directory or HF model directory");
  c.add_flag("--finetune", a.finetune, "load weights only (start at iteration 0)");
  c.add_option("--eval-interval", a.eval_interval);
  c.add_option("--eval-iters", a.eval_iters);
  c.add_option("--log-interval", a.log_interval);
  c.add_option("--metrics-file", a.metrics_file, "JSON lines, one per iteration");
}

void TrainArgs::finalize() {
  if (global_batch_size == 0) global_batch_size = micro_batch_size;
  if (micro_batch_size <= 0) throw error("[train] --micro-batch-size must be positive");
  if (global_batch_size % micro_batch_size != 0)
    throw error("[train] --global-batch-size ", global_batch_size,
                " is not a multiple of --micro-batch-size ", micro_batch_size);
  if (seq_length <= 0) throw error("[train] --seq-length must be positive");
  if (train_iters < 0) throw error("[train] --train-iters must be >= 0");
  if (log_interval <= 0) throw error("[train] --log-interval must be positive");
  if (eval_iters < 0) throw error("[train] --eval-iters must be >= 0");
  if (save_interval < 0 || eval_interval < 0) throw error("[train] intervals must be >= 0");
  if (clip_grad < 0.f) throw error("[train] --clip-grad must be >= 0");
  if (data_path.empty()) throw error("[train] --data-path is required");
  if (pack && !is_instruction_dataset)
    throw error("[train] --pack packs instruction samples: it needs --is-instruction-dataset");
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
  if (tensor_model_parallel_size < 1)
    throw error("[train] --tensor-model-parallel-size must be >= 1");
  if (pipeline_model_parallel_size < 1)
    throw error("[train] --pipeline-model-parallel-size must be >= 1");
  if (sequence_parallel && tensor_model_parallel_size == 1)
    throw error("[train] --sequence-parallel needs --tensor-model-parallel-size > 1");
  if (zero_stage < 0 || zero_stage > 3) throw error("[train] --zero-stage must be 0, 1, 2 or 3");
  if (zero_stage == 3 && pipeline_model_parallel_size > 1)
    throw error(
        "[train] --zero-stage 3 needs --pipeline-model-parallel-size 1 (ZeRO-3 shards "
        "every parameter over data-parallel ranks; use ZeRO-1/2 with pipelines)");
  if (!foldx_mode.empty() && foldx_mode != "aiao")
    throw error("[train] --foldx-mode '", foldx_mode, "': only aiao");
  if (!foldx_mode.empty() && num_layers_per_virtual_pipeline_stage == 0)
    throw error("[train] --foldx-mode aiao needs --num-layers-per-virtual-pipeline-stage");
  if (optimized_pipeline != !manual_mbs.empty())
    throw error("[train] --optimized-pipeline and --manual-mbs go together");
  if (optimized_pipeline && is_instruction_dataset)
    throw error("[train] --manual-mbs needs pretraining data (fixed-length rows)");
  if (make_vocab_size_divisible_by < 1)
    throw error("[train] --make-vocab-size-divisible-by must be >= 1");
  if (ddp_bucket_size < 0) throw error("[train] --ddp-bucket-size must be >= 0");
  if (distributed_timeout_minutes < 0)
    throw error("[train] --distributed-timeout-minutes must be >= 0");
  finalize_recompute();
  if (bf16 && fp16) throw error("[train] --bf16 and --fp16 exclude each other");
  if (fp16) loss_scale.validate();
  lr.style = parse_lr_decay_style(lr_decay_style);
  if (lr.decay_iters == 0) lr.decay_iters = train_iters;
  lr.validate();
  optim.validate();
}

void TrainArgs::finalize_recompute() {
  if (checkpoint_activations) {
    if (!recompute_granularity.empty() && recompute_granularity != "full")
      throw error("[train] --checkpoint-activations means --recompute-granularity full, not '",
                  recompute_granularity, "'");
    if (checkpoint_num_layers != 0 && recompute_num_layers != 0 &&
        checkpoint_num_layers != recompute_num_layers)
      throw error("[train] --checkpoint-num-layers ", checkpoint_num_layers,
                  " and --recompute-num-layers ", recompute_num_layers, " disagree");
    recompute_granularity = "full";
    if (recompute_num_layers == 0) recompute_num_layers = checkpoint_num_layers;
  } else if (checkpoint_num_layers != 0) {
    throw error("[train] --checkpoint-num-layers needs --checkpoint-activations");
  }
  if (!recompute_granularity.empty() && recompute_granularity != "full" &&
      recompute_granularity != "selective")
    throw error("[train] --recompute-granularity '", recompute_granularity,
                "': expected full or selective");
  const bool full = recompute_granularity == "full";
  if (!full && (!recompute_method.empty() || recompute_num_layers != 0))
    throw error(
        "[train] --recompute-method and --recompute-num-layers need "
        "--recompute-granularity full");
  if (recompute_num_layers < 0) throw error("[train] --recompute-num-layers must be >= 1");
  if (full) {
    if (recompute_method.empty()) recompute_method = "uniform";
    if (recompute_num_layers == 0) recompute_num_layers = 1;
    parse_recompute_method(recompute_method);  // throws naming the flag
  }
}

RecomputePolicy TrainArgs::recompute_policy() const {
  RecomputePolicy p;
  p.full = recompute_granularity == "full";
  if (p.full) {
    p.method = parse_recompute_method(recompute_method);
    p.num_layers = recompute_num_layers;
  }
  return p;
}

nlohmann::json TrainArgs::to_json() const {
  return {
      {"model", model},
      {"num-layers", num_layers},
      {"hidden-size", hidden_size},
      {"ffn-hidden-size", ffn_hidden_size},
      {"num-attention-heads", num_attention_heads},
      {"group-query-attention", group_query_attention},
      {"num-query-groups", num_query_groups},
      {"max-position-embeddings", max_position_embeddings},
      {"vocab-size", vocab_size},
      {"position-embedding-type", position_embedding_type},
      {"normalization", normalization},
      {"norm-epsilon", norm_epsilon},
      {"init-method-std", init_method_std},
      {"attention-dropout", attention_dropout},
      {"hidden-dropout", hidden_dropout},
      {"micro-batch-size", micro_batch_size},
      {"global-batch-size", global_batch_size},
      {"seq-length", seq_length},
      {"train-iters", train_iters},
      {"data-path", data_path},
      {"split", split},
      {"tokenizer-type", tokenizer_type},
      {"tokenizer-name-or-path", tokenizer_name_or_path},
      {"is-instruction-dataset", is_instruction_dataset},
      {"variable-seq-lengths", variable_seq_lengths},
      {"pack", pack},
      {"reset-position-ids", reset_position_ids},
      {"reset-attention-mask", reset_attention_mask},
      {"eod-mask-loss", eod_mask_loss},
      {"optimizer", optim.name},
      {"lr", lr.lr},
      {"min-lr", lr.min_lr},
      {"lr-decay-style", lr_decay_style},
      {"lr-warmup-iters", lr.warmup_iters},
      {"lr-decay-iters", lr.decay_iters},
      {"adam-beta1", optim.beta1},
      {"adam-beta2", optim.beta2},
      {"adam-eps", optim.eps},
      {"weight-decay", optim.weight_decay},
      {"sgd-momentum", optim.momentum},
      {"clip-grad", clip_grad},
      {"bf16", bf16},
      {"fp16", fp16},
      {"loss-scale", loss_scale.static_scale},
      {"initial-loss-scale", loss_scale.initial_scale},
      {"min-loss-scale", loss_scale.min_scale},
      {"loss-scale-window", loss_scale.window},
      {"hysteresis", loss_scale.hysteresis},
      {"seed", seed},
      {"save", save},
      {"save-interval", save_interval},
      {"load", load},
      {"finetune", finetune},
      {"eval-interval", eval_interval},
      {"eval-iters", eval_iters},
      {"log-interval", log_interval},
      {"metrics-file", metrics_file},
      {"tensor-model-parallel-size", tensor_model_parallel_size},
      {"pipeline-model-parallel-size", pipeline_model_parallel_size},
      {"sequence-parallel", sequence_parallel},
      {"num-layers-per-virtual-pipeline-stage", num_layers_per_virtual_pipeline_stage},
      {"manual-layers", manual_layers},
      {"optimized-pipeline", optimized_pipeline},
      {"manual-mbs", manual_mbs},
      {"use-distributed-optimizer", use_distributed_optimizer},
      {"zero-stage", zero_stage},
      {"foldx-mode", foldx_mode},
      {"distributed-timeout-minutes", distributed_timeout_minutes},
      {"make-vocab-size-divisible-by", make_vocab_size_divisible_by},
      {"ddp-bucket-size", ddp_bucket_size},
      {"recompute-granularity", recompute_granularity},
      {"recompute-method", recompute_method},
      {"recompute-num-layers", recompute_num_layers},
  };
}

std::vector<int64_t> TrainArgs::micro_batch_sizes(int dp_size) const {
  const int64_t per_rank = global_batch_size / dp_size;
  if (global_batch_size % dp_size != 0 || per_rank % micro_batch_size != 0)
    throw error("[train] --global-batch-size ", global_batch_size,
                " is not a multiple of --micro-batch-size ", micro_batch_size,
                " x data-parallel size ", dp_size);
  const int64_t M = per_rank / micro_batch_size;
  if (manual_mbs.empty()) return std::vector<int64_t>(static_cast<size_t>(M), micro_batch_size);
  // AscendSpeed's two named configurations (pipeline 4 and 8, micro-batch 4).
  std::vector<int64_t> mbs;
  if (manual_mbs == "example-config-1") {
    mbs = {1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 3, 2};
  } else if (manual_mbs == "example-config-2") {
    mbs = {1, 2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 3, 3, 3, 2};
  } else {
    std::string bad;
    auto parsed = parse_int_list(manual_mbs, &bad);
    if (!parsed)
      throw error("[train] --manual-mbs '", manual_mbs, "': '", bad, "' is not an integer");
    mbs = std::move(*parsed);
    for (int64_t v : mbs)
      if (v < 1)
        throw error("[train] --manual-mbs '", manual_mbs, "': ", v, " is not a positive integer");
  }
  int64_t sum = 0;
  for (int64_t v : mbs) sum += v;
  if (static_cast<int64_t>(mbs.size()) != M || sum != per_rank)
    throw error("[train] --manual-mbs ", manual_mbs, ": ", mbs.size(), " micro-batches of ", sum,
                " samples in all; this run needs ", M,
                " (--global-batch-size / data-parallel size / --micro-batch-size) of ", per_rank,
                " samples (--global-batch-size / data-parallel size)");
  return mbs;
}

ModelConfig model_config_from_args(const TrainArgs& a, int64_t tokenizer_vocab) {
  ModelConfig c = model_preset(a.model);
  if (a.num_layers) c.num_layers = a.num_layers;
  if (a.hidden_size) c.hidden_size = a.hidden_size;
  if (a.ffn_hidden_size) c.ffn_hidden_size = a.ffn_hidden_size;
  if (a.num_attention_heads) {
    c.num_attention_heads = a.num_attention_heads;
    if (!a.group_query_attention) c.num_query_groups = a.num_attention_heads;
  }
  if (a.group_query_attention) {
    if (a.num_query_groups <= 0)
      throw error("[train] --group-query-attention needs --num-query-groups");
    c.num_query_groups = a.num_query_groups;
  }
  if (a.max_position_embeddings) c.max_position_embeddings = a.max_position_embeddings;
  if (a.seq_length > c.max_position_embeddings) c.max_position_embeddings = a.seq_length;
  if (!a.position_embedding_type.empty()) {
    if (a.position_embedding_type == "rope")
      c.position = PositionType::Rope;
    else if (a.position_embedding_type == "alibi")
      c.position = PositionType::Alibi;
    else if (a.position_embedding_type == "absolute")
      c.position = PositionType::Absolute;
    else
      throw error("[train] --position-embedding-type '", a.position_embedding_type,
                  "' is not one of rope, alibi, absolute");
  }
  if (!a.normalization.empty()) {
    if (a.normalization == "RMSNorm")
      c.norm = NormType::RMSNorm;
    else if (a.normalization == "LayerNorm")
      c.norm = NormType::LayerNorm;
    else
      throw error("[train] --normalization '", a.normalization, "' is not RMSNorm or LayerNorm");
  }
  if (a.norm_epsilon > 0.f) c.norm_eps = a.norm_epsilon;
  if (a.init_method_std > 0.f) c.init_method_std = a.init_method_std;
  c.attention_dropout = a.attention_dropout;  // presets train without dropout
  c.hidden_dropout = a.hidden_dropout;
  if (a.vocab_size) {
    c.vocab_size = a.vocab_size;
  } else if (tokenizer_vocab > 0) {
    c.vocab_size = tokenizer_vocab;
  }
  c.make_vocab_size_divisible_by = a.make_vocab_size_divisible_by;
  c.validate();
  return c;
}

}  // namespace ascent
