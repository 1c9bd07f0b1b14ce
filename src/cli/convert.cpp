// `ascent convert`: between ascent checkpoints and HF model directories.
//   ascent convert --load CKPT --save HF_DIR --to-hf [--dtype bf16]   checkpoint -> HF
//   ascent convert --load HF_DIR --save CKPT --from-hf                 HF -> checkpoint (weights)
#include <memory>
#include <string>

#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/hf_checkpoint.h"
#include "cli/commands.h"
#include "core/log.h"

namespace ascent::cli {
namespace {

struct ConvertArgs {
  std::string load, save, dtype = "f32";
  bool to_hf = false, from_hf = false;
  size_t max_shard_bytes = 0;
};

void convert(const ConvertArgs& a) {
  if (a.to_hf == a.from_hf) throw error("[convert] give exactly one of --to-hf and --from-hf");
  if (a.load.empty() || a.save.empty()) throw error("[convert] --load and --save are required");
  if (a.to_hf) {
    const CheckpointInfo ckpt = open_checkpoint(a.load);
    ModelWeights w(ckpt.config, DType::F32);
    load_checkpoint(ckpt, w, nullptr);
    save_hf(a.save, ckpt.config, w.layout(), w.master(), parse_dtype(a.dtype), a.max_shard_bytes);
    ASCENT_LOG_INFO("wrote {} ({}, {}) from {}", a.save, hf_arch_name(ckpt.config.hf_arch),
                    a.dtype, ckpt.dir);
    return;
  }
  const ModelConfig cfg = read_hf_config(a.load);
  ModelWeights w(cfg, DType::F32);
  load_hf_weights(a.load, cfg, w.layout(), w.master());
  TrainState st;
  st.args = {{"converted-from", a.load}};
  save_checkpoint(a.save, w, nullptr, st);
  ASCENT_LOG_INFO("wrote checkpoint {} (iteration 0, weights only) from {}", a.save, a.load);
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert", "ascent checkpoint <-> HF model directory");
  cmd->add_option("--load", args->load, "source: checkpoint directory or HF directory");
  cmd->add_option("--save", args->save, "destination directory");
  cmd->add_flag("--to-hf", args->to_hf, "checkpoint -> HF (config.json + safetensors)");
  cmd->add_flag("--from-hf", args->from_hf, "HF -> checkpoint (weights only)");
  cmd->add_option("--dtype", args->dtype, "HF weight dtype: f32, bf16 or f16");
  cmd->add_option("--max-shard-size", args->max_shard_bytes, "bytes per safetensors shard (0 = one file)");
  cmd->callback([args] { convert(*args); });
}

}  // namespace ascent::cli
