#include "train/compat_flags.h"

#include <fmt/format.h>

#include "core/log.h"

namespace ascent {
namespace {

using A = CompatArity;
using S = CompatStatus;

// Reasons shared by several rows.
constexpr const char* kKernel =
    "kernel selection: ascent has one CPU kernel for this, chosen at run time";
constexpr const char* kDeepSpeedRecompute =
    "DeepSpeed activation-checkpointing option; recompute is ascent's own "
    "(--recompute-granularity, --recompute-method, --checkpoint-activations)";
constexpr const char* kOverlap =
    "communication scheduling; it changes speed, never results, and ascent schedules its own";
constexpr const char* kTokens =
    "token-based schedules are not implemented: give samples instead (--train-samples, "
    "--lr-warmup-samples, --lr-decay-samples; tokens / --seq-length)";
constexpr const char* kLogOnly = "this extra log line is not written here";

std::vector<CompatFlag> make_rows() {
  return {
      // Kernel choice and fusion: one implementation here.
      {"--use-flash-attn", A::Switch, S::NoEffect,
       "ascent's attention kernel never keeps the score matrix (as flash attention)"},
      {"--use-fused-rmsnorm", A::Switch, S::NoEffect, kKernel},
      {"--use-fused-rotary-pos-emb", A::Switch, S::NoEffect, kKernel},
      {"--mlp-layer-fusion", A::Switch, S::NoEffect,
       "the MLP's gate and up projections are always one fused matmul here"},
      {"--masked-softmax-fusion", A::Switch, S::NoEffect, kKernel},
      {"--no-masked-softmax-fusion", A::Switch, S::NoEffect, kKernel},
      {"--no-bias-gelu-fusion", A::Switch, S::NoEffect, kKernel},
      {"--no-bias-dropout-fusion", A::Switch, S::NoEffect, kKernel},
      {"--no-gradient-accumulation-fusion", A::Switch, S::NoEffect, kKernel},
      {"--no-persist-layer-norm", A::Switch, S::NoEffect, kKernel},
      {"--triangle-attn", A::Switch, S::NoEffect, kKernel},
      {"--triangle-block-size", A::OneValue, S::NoEffect, kKernel},
      {"--transformer-impl", A::OneValue, S::NoEffect,
       "one transformer implementation here (no Transformer Engine)"},
      // Precision details that are fixed here.
      {"--query-key-layer-scaling", A::Switch, S::NoEffect,
       "attention scores are computed in fp32 here, where this scaling cancels out"},
      {"--no-query-key-layer-scaling", A::Switch, S::NoEffect,
       "attention scores are computed in fp32 here, where this scaling cancels out"},
      {"--attention-softmax-in-fp32", A::Switch, S::NoEffect,
       "the attention softmax always runs in fp32 here"},
      {"--no-attention-softmax-in-fp32", A::Switch, S::NoEffect,
       "the attention softmax always runs in fp32 here"},
      {"--accumulate-allreduce-grads-in-fp32", A::Switch, S::NoEffect,
       "gradients always accumulate and are reduced in fp32 here"},
      {"--release-fp32-grad", A::Switch, S::NoEffect,
       "gradients stay in fp32 here (more memory, never less precision)"},
      {"--fp16-lm-cross-entropy", A::Switch, S::NoEffect,
       "the cross-entropy always runs in fp32 here"},
      {"--embedding-weights-in-fp32", A::Switch, S::NoEffect,
       "master weights, the embedding's included, are always fp32 here"},
      {"--fp32-residual-connection", A::Switch, S::NoEffect,
       "the residual stream is always fp32 here"},
      {"--square-alibi-mask", A::Switch, S::NoEffect,
       "ALiBi biases depend on (key - query) here; the softmax does not change when a row is "
       "shifted, so both masks give the same attention"},
      // Distributed backend and data-parallel implementation.
      {"--distributed-backend", A::OneValue, S::NoEffect,
       "communication is MPI here (launch with mpirun)"},
      {"--DDP-impl", A::OneValue, S::NoEffect,
       "one data-parallel implementation here: bucketed all-reduce (or ZeRO) over one flat "
       "gradient buffer"},
      {"--no-contiguous-buffers-in-local-ddp", A::Switch, S::NoEffect,
       "gradients always live in one contiguous buffer here"},
      {"--use-contiguous-buffers-in-local-ddp", A::Switch, S::NoEffect,
       "gradients always live in one contiguous buffer here"},
      {"--use-contiguous-buffers-in-ddp", A::Switch, S::NoEffect,
       "gradients always live in one contiguous buffer here"},
      {"--local_rank", A::OneValue, S::NoEffect,
       "the rank comes from MPI, not from the launcher's argument"},
      {"--local-rank", A::OneValue, S::NoEffect,
       "the rank comes from MPI, not from the launcher's argument"},
      {"--no-overlap-p2p-communication", A::Switch, S::NoEffect, kOverlap},
      {"--overlap-p2p-communication", A::Switch, S::NoEffect, kOverlap},
      {"--overlap-grad-reduce", A::Switch, S::NoEffect, kOverlap},
      {"--no-delay-grad-reduce", A::Switch, S::NoEffect, kOverlap},
      {"--no-scatter-gather-tensors-in-pipeline", A::Switch, S::NoEffect, kOverlap},
      {"--empty-unused-memory-level", A::OneValue, S::NoEffect,
       "no caching allocator to empty here"},
      {"--use-cpu-initialization", A::Switch, S::NoEffect,
       "weights are always initialised on the CPU here"},
      {"--cpu-optimizer", A::Switch, S::NoEffect, "the optimizer always runs on the CPU here"},
      // DeepSpeed.
      {"--deepspeed", A::Switch, S::NoEffect,
       "no DeepSpeed engine here: ZeRO comes from --zero-stage / --use-distributed-optimizer, "
       "precision from --fp16 / --bf16"},
      {"--deepspeed_config", A::OneValue, S::NoEffect,
       "the DeepSpeed JSON is not read: give its settings as flags (--zero-stage, --fp16 / "
       "--bf16, --initial-loss-scale, --loss-scale-window, --hysteresis, --min-loss-scale, "
       "--global-batch-size, --clip-grad)"},
      {"--deepspeed-config", A::OneValue, S::NoEffect,
       "the DeepSpeed JSON is not read: give its settings as flags (see --deepspeed_config)"},
      {"--no-pipeline-parallel", A::Switch, S::NoEffect,
       "the pipeline comes from --pipeline-model-parallel-size alone (1: none)"},
      {"--deepspeed-activation-checkpointing", A::Switch, S::NoEffect, kDeepSpeedRecompute},
      {"--partition-activations", A::Switch, S::NoEffect, kDeepSpeedRecompute},
      {"--contigious-checkpointing", A::Switch, S::NoEffect, kDeepSpeedRecompute},
      {"--checkpoint-in-cpu", A::Switch, S::NoEffect, kDeepSpeedRecompute},
      {"--synchronize-each-layer", A::Switch, S::NoEffect, kDeepSpeedRecompute},
      {"--distribute-saved-activations", A::Switch, S::NoEffect,
       "recomputed layers' inputs are not split over tensor-parallel ranks here (memory only)"},
      {"--distribute-checkpointed-activations", A::Switch, S::NoEffect,
       "recomputed layers' inputs are not split over tensor-parallel ranks here (memory only)"},
      {"--auto-recompute-device-size", A::OneValue, S::NoEffect,
       "recompute is never chosen from the device memory here: set --recompute-granularity / "
       "--recompute-method"},
      // Data loading and checkpoint details that are fixed here.
      {"--data-impl", A::OneValue, S::NoEffect, "the .bin file is always memory-mapped here"},
      {"--mmap-warmup", A::Switch, S::NoEffect, "the .bin file is always memory-mapped here"},
      {"--num-workers", A::OneValue, S::NoEffect,
       "batches are cut from the memory-mapped data in the training process"},
      {"--use-manual-layer-allocation", A::Switch, S::NoEffect,
       "--manual-layers alone sets the pipeline split here"},
      {"--pad-vocab-size-to", A::OneValue, S::NoEffect,
       "padded vocabulary rows are never part of the model here (masked, never trained or "
       "saved); --make-vocab-size-divisible-by sets the padding"},
      {"--no-load-rng", A::Switch, S::NoEffect,
       "checkpoints hold no RNG state: randomness is counter-based, keyed by --seed and the "
       "iteration"},
      {"--no-save-rng", A::Switch, S::NoEffect,
       "checkpoints hold no RNG state: randomness is counter-based, keyed by --seed and the "
       "iteration"},
      {"--override-lr-scheduler", A::Switch, S::NoEffect,
       "the learning-rate schedule always comes from the flags here, also on resume"},
      {"--override-opt_param-scheduler", A::Switch, S::NoEffect,
       "the learning-rate schedule always comes from the flags here, also on resume"},
      {"--use-checkpoint-args", A::Switch, S::NoEffect,
       "the architecture always comes from the checkpoint being resumed here"},
      // Accepted, but Megatron would train differently: a warning.
      {"--rampup-batch-size", A::Values, S::Ignored,
       "batch-size ramp-up is not implemented: every step uses --global-batch-size"},
      {"--log-params-norm", A::Switch, S::Ignored, kLogOnly},
      {"--log-num-zeros-in-grad", A::Switch, S::Ignored, kLogOnly},
      {"--timing-log-level", A::OneValue, S::Ignored, kLogOnly},
      {"--timing-log-option", A::OneValue, S::Ignored, kLogOnly},
      {"--no-barrier-with-level-1-timing", A::Switch, S::Ignored, kLogOnly},
      // Refused: a different feature that ascent does not have.
      {"--vocab-file", A::OneValue, S::Unsupported,
       "put vocab.json and merges.txt in one directory and pass --tokenizer-type "
       "GPT2BPETokenizer --tokenizer-name-or-path DIR"},
      {"--merge-file", A::OneValue, S::Unsupported,
       "put vocab.json and merges.txt in one directory and pass --tokenizer-type "
       "GPT2BPETokenizer --tokenizer-name-or-path DIR"},
      {"--num-experts", A::Values, S::Unsupported, "mixture of experts is not implemented"},
      {"--apply-layernorm-1p", A::Switch, S::Unsupported,
       "this norm variant is not implemented (--normalization RMSNorm or LayerNorm)"},
      {"--apply-residual-connection-post-layernorm", A::Switch, S::Unsupported,
       "post-norm residuals are not implemented (every block is pre-norm)"},
      {"--squared-relu", A::Switch, S::Unsupported,
       "this activation is not implemented (SwiGLU: --swiglu, GeLU: --no-add-gate)"},
      {"--recomputation-layer-num", A::Values, S::Unsupported,
       "per-stage recompute counts are not implemented: use --recompute-method block "
       "--recompute-num-layers N (N layers on every stage)"},
      {"--standalone-embedding-stage", A::Switch, S::Unsupported,
       "the embedding always shares the first pipeline stage"},
      {"--train-tokens", A::OneValue, S::Unsupported, kTokens},
      {"--lr-warmup-tokens", A::OneValue, S::Unsupported, kTokens},
      {"--lr-decay-tokens", A::OneValue, S::Unsupported, kTokens},
      {"--use-checkpoint-lr-scheduler", A::Switch, S::Unsupported,
       "the learning-rate schedule always comes from the flags: give the checkpoint's values"},
      {"--use-checkpoint-opt_param-scheduler", A::Switch, S::Unsupported,
       "the learning-rate schedule always comes from the flags: give the checkpoint's values"},
  };
}

// Flags of features that are planned but not there yet: their prefix and the sentence.
struct PlannedFeature {
  std::string_view prefix;
  std::string_view what;
};
constexpr PlannedFeature kPlanned[] = {
    {"--lora-",
     "LoRA fine-tuning is not supported yet; drop the --lora-* flags to fine-tune every weight"},
    {"--moe-", "mixture of experts is not implemented"},
};

}  // namespace

const std::vector<CompatFlag>& compat_flags() {
  static const std::vector<CompatFlag> rows = make_rows();
  return rows;
}

const CompatFlag* find_compat_flag(std::string_view name) {
  for (const CompatFlag& f : compat_flags())
    if (f.name == name) return &f;
  return nullptr;
}

std::string compat_summary(const CompatFlag& flag) {
  const char* kind = flag.status == CompatStatus::NoEffect  ? "no effect here"
                     : flag.status == CompatStatus::Ignored ? "ignored"
                                                            : "not supported";
  return fmt::format("{}: {}", kind, flag.why);
}

std::string compat_note(const CompatFlag& flag) {
  return fmt::format("{}: {}", flag.name, compat_summary(flag));
}

void log_compat_notes(const std::vector<const CompatFlag*>& given) {
  for (const CompatFlag* f : given) {
    if (f->status == CompatStatus::Ignored) {
      ASCENT_LOG_WARN("[train] {}", compat_note(*f));
    } else {
      ASCENT_LOG_INFO("[train] {}", compat_note(*f));
    }
  }
}

std::string refusal_reason(std::string_view name) {
  const CompatFlag* f = find_compat_flag(name);
  if (f != nullptr && f->status == CompatStatus::Unsupported)
    return fmt::format("[train] {} is not supported: {}", name, f->why);
  for (const PlannedFeature& p : kPlanned)
    if (name.substr(0, p.prefix.size()) == p.prefix)
      return fmt::format("[train] {}: {}", name, p.what);
  return "";
}

}  // namespace ascent
