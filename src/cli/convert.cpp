// `ascent convert`: between ascent checkpoints of any TP x PP layout and HF model directories.
//   ascent convert --load CKPT --save HF_DIR --to-hf [--dtype bf16] [--overwrite]
//                  [--tokenizer-name-or-path TOK]                     checkpoint -> HF
//   ascent convert --load HF_DIR --save CKPT --from-hf [--target-...]   HF -> checkpoint (weights)
//   ascent convert --load CKPT --save CKPT2 --target-tensor-parallel-size 2
//                  --target-pipeline-parallel-size 3 [--target-manual-layers 2,3,1]
//                                                                     checkpoint -> other layout
// The target layout flags keep the names of Megatron's checkpoint converter. Without them a
// checkpoint keeps its layout and an HF import is one whole-model shard.
#include <memory>
#include <string>

#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/reshard.h"
#include "cli/commands.h"
#include "cli/hf_export.h"
#include "core/log.h"

namespace ascent::cli {
namespace {

struct ConvertArgs {
  std::string load, save, dtype;  // dtype "": the checkpoint's training dtype (hf_export.h)
  bool to_hf = false, from_hf = false;
  // A complete HF directory (--to-hf): overwrite a non-empty --save, the tokenizer to ship.
  bool overwrite = false;
  std::string tokenizer_type, tokenizer_path;
  size_t max_shard_bytes = 0;
  int target_tp = 0, target_pp = 0;  // 0: keep the source's (1 for HF)
  std::string target_manual_layers;
  int64_t target_vpp_layers = -1;            // -1: keep the source's (0 for HF)
  int64_t make_vocab_size_divisible_by = 0;  // 0: keep the source's
};

bool has_target(const ConvertArgs& a) {
  return a.target_tp || a.target_pp || !a.target_manual_layers.empty() ||
         a.target_vpp_layers >= 0 || a.make_vocab_size_divisible_by;
}

// The target layout: the source's where a flag is not given.
CheckpointLayout target_layout(const ConvertArgs& a, const CheckpointLayout& source) {
  CheckpointLayout t;
  ModelParallelConfig& mp = t.model_parallel;
  const ModelParallelConfig& src = source.model_parallel;
  mp.tensor_model_parallel_size = a.target_tp ? a.target_tp : src.tensor_model_parallel_size;
  mp.pipeline_model_parallel_size = a.target_pp ? a.target_pp : src.pipeline_model_parallel_size;
  const bool same_pp = mp.pipeline_model_parallel_size == src.pipeline_model_parallel_size;
  if (!a.target_manual_layers.empty()) {
    mp.manual_layers = parse_manual_layers(a.target_manual_layers);
  } else if (same_pp) {
    mp.manual_layers = src.manual_layers;
  }
  if (a.target_vpp_layers >= 0) {
    mp.num_layers_per_virtual_pipeline_stage = a.target_vpp_layers;
  } else if (same_pp && mp.manual_layers == src.manual_layers) {
    mp.num_layers_per_virtual_pipeline_stage = src.num_layers_per_virtual_pipeline_stage;
  }
  t.data_parallel_size = source.data_parallel_size;
  t.zero_stage = source.zero_stage;
  return t;
}

std::string describe(const CheckpointLayout& l) {
  const ModelParallelConfig& mp = l.model_parallel;
  return "TP " + std::to_string(mp.tensor_model_parallel_size) + " x PP " +
         std::to_string(mp.pipeline_model_parallel_size);
}

// Layout errors name the trainer's flags; here they come from the --target-* ones.
void check_target(const CheckpointLayout& t, const ModelConfig& cfg) {
  try {
    t.model_parallel.validate(cfg);
  } catch (const Error& e) {
    throw error("[convert] target layout (--target-*): ", e.what());
  }
}

void convert(const ConvertArgs& a) {
  if (a.to_hf && a.from_hf) throw error("[convert] give at most one of --to-hf and --from-hf");
  if (!a.to_hf && (a.overwrite || !a.dtype.empty() || !a.tokenizer_path.empty()))
    throw error("[convert] ",
                a.overwrite        ? "--overwrite"
                : !a.dtype.empty() ? "--dtype"
                                   : "--tokenizer-name-or-path",
                " applies to --to-hf (an HF model directory)");
  if (a.load.empty() || a.save.empty()) throw error("[convert] --load and --save are required");
  if (a.to_hf) {
    if (has_target(a))
      throw error("[convert] --to-hf writes one whole HF model; the --target-* flags do not apply");
    check_hf_output_dir(a.save, a.overwrite);
    const CheckpointInfo ckpt = open_checkpoint(a.load);
    const DType dtype = hf_export_dtype(ckpt, a.dtype);
    const HfTokenizerSource tok = tokenizer_for_export(ckpt, a.tokenizer_type, a.tokenizer_path);
    checkpoint_to_hf(ckpt, a.save, dtype, a.max_shard_bytes);
    write_hf_extras(a.save, tok);
    ASCENT_LOG_INFO("wrote {} ({}, {}{}) from {} ({})", a.save, hf_arch_name(ckpt.config.hf_arch),
                    dtype_name(dtype), tok.path.empty() ? "" : ", tokenizer " + tok.path, ckpt.dir,
                    describe(ckpt.layout));
    return;
  }
  if (a.from_hf) {
    ModelConfig cfg = read_hf_config(a.load);
    if (a.make_vocab_size_divisible_by)
      cfg.make_vocab_size_divisible_by = a.make_vocab_size_divisible_by;
    const CheckpointLayout target = target_layout(a, CheckpointLayout{});
    check_target(target, cfg);
    TrainState st;
    st.args = {{"converted-from", a.load}};
    hf_to_checkpoint(a.load, cfg, a.save, target, st);
    ASCENT_LOG_INFO("wrote checkpoint {} (iteration 0, weights only, {}) from {}", a.save,
                    describe(target), a.load);
    return;
  }
  const CheckpointInfo ckpt = open_checkpoint(a.load);
  ModelConfig cfg = ckpt.config;
  if (a.make_vocab_size_divisible_by)
    cfg.make_vocab_size_divisible_by = a.make_vocab_size_divisible_by;
  const CheckpointLayout target = target_layout(a, ckpt.layout);
  check_target(target, cfg);
  reshard_checkpoint(ckpt, cfg, a.save, target);
  ASCENT_LOG_INFO("wrote checkpoint {} (iteration {}, {}{}) from {} ({})", a.save,
                  ckpt.state.iteration, describe(target),
                  ckpt.has_optimizer ? ", with optimizer state" : "", ckpt.dir,
                  describe(ckpt.layout));
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "ascent checkpoint <-> HF model directory, or a checkpoint into another layout");
  cmd->add_option("--load", args->load, "source: checkpoint directory or HF directory");
  cmd->add_option("--save", args->save, "destination directory");
  cmd->add_flag("--to-hf", args->to_hf, "checkpoint -> HF (config.json + safetensors)");
  cmd->add_flag("--from-hf", args->from_hf, "HF -> checkpoint (weights only)");
  cmd->add_option("--dtype", args->dtype,
                  "HF weight dtype: f32, bf16 or f16 (default: f16 for an --fp16 run, else bf16)");
  // A complete HF model directory (--to-hf).
  cmd->add_flag("--overwrite", args->overwrite,
                "--to-hf: write into a non-empty --save directory, replacing its model files");
  cmd->add_option("--tokenizer-name-or-path", args->tokenizer_path,
                  "--to-hf: tokenizer to ship (default: the training run's)");
  cmd->add_option("--tokenizer-type", args->tokenizer_type,
                  "--to-hf: SentencePiece, PretrainedFromHF or GPT2BPETokenizer (default: the "
                  "training run's)");
  cmd->add_option("--max-shard-size", args->max_shard_bytes,
                  "bytes per safetensors shard (0 = one file)");
  cmd->add_option("--target-tensor-parallel-size", args->target_tp,
                  "TP size of the written checkpoint (default: the source's)");
  cmd->add_option("--target-pipeline-parallel-size", args->target_pp,
                  "PP size of the written checkpoint (default: the source's)");
  cmd->add_option("--target-manual-layers", args->target_manual_layers,
                  "layers per pipeline stage of the written checkpoint, e.g. 5,6,6,5");
  cmd->add_option("--target-num-layers-per-virtual-pipeline-stage", args->target_vpp_layers,
                  "interleaved chunk size of the written checkpoint (0 = none)");
  cmd->add_option("--make-vocab-size-divisible-by", args->make_vocab_size_divisible_by,
                  "vocabulary padding of the written checkpoint (default: the source's)");
  cmd->callback([args] { convert(*args); });
}

}  // namespace ascent::cli
