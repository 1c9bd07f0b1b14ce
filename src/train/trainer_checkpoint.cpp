// The trainer's checkpoints: initial weights (random, an HF directory, or an ascent checkpoint
// with its resume state) and saving from any layout (checkpoint/ascent_checkpoint.h).
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/save_dir.h"
#include "core/error.h"
#include "core/log.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace ascent {

void Trainer::check_resumable(const nlohmann::json& ckpt_args) const {
  // The cursor counts rows: samples, windows or packed rows. Those keys decide which.
  const nlohmann::json now = args_.to_json();
  std::vector<std::string> keys = {"is-instruction-dataset", "pack"};
  // --long-samples drop leaves out the samples longer than the row: the split depends on both.
  const bool dropped = args_.data.long_samples == "drop" ||
                       ckpt_args.value("long-samples", nlohmann::json("truncate")) == "drop";
  if (dropped) keys.push_back("long-samples");
  if (args_.data.pack || dropped) keys.push_back("seq-length");  // rows depend on the length
  for (const std::string& k : keys) {
    const nlohmann::json absent = k == "seq-length"     ? now[k]
                                  : k == "long-samples" ? nlohmann::json("truncate")
                                                        : nlohmann::json(false);
    const nlohmann::json then = ckpt_args.value(k, absent);
    if (then != now[k])
      throw error("[train] --load ", args_.run.load, ": the checkpoint was trained with --", k, " ",
                  then.dump(), ", this run has ", now[k].dump(),
                  "; its data cursor would point elsewhere (use --finetune to start over)");
  }
}

void Trainer::init_or_load(const CheckpointInfo* checkpoint) {
  if (args_.run.load.empty()) {
    weights_->init_random(args_.run.seed);
  } else if (checkpoint) {
    load(*checkpoint);
  } else if (fs::exists(fs::path(args_.run.load) / "config.json") &&
             !is_ascent_checkpoint(args_.run.load)) {
    load_hf_weights(args_.run.load, weights_->config(), weights_->layout(), weights_->master());
    weights_->refresh_compute();
    ASCENT_LOG_INFO("loaded HF weights from {}", args_.run.load);
  } else {
    load(open_checkpoint(args_.run.load));
  }
  // ZeRO-3: every rank wrote the whole model; keep the shard.
  sync_->drop_unowned();
}

void Trainer::load(const CheckpointInfo& ckpt) {
  // --no-load-optim (Megatron): resume the weights and position with a fresh optimizer.
  const bool optimizer_too = !args_.run.finetune && !args_.run.no_load_optim;
  load_checkpoint(ckpt, *weights_, optimizer_too ? optimizer_.get() : nullptr);
  if (!args_.run.finetune) {
    loaded_dir_ = ckpt.dir;
    check_resumable(ckpt.state.args);
    iteration_ = ckpt.state.iteration;
    if (optimizer_too && scaler_ && !ckpt.state.loss_scaler.is_null())
      scaler_->restore_json(ckpt.state.loss_scaler);
    // The cursor counts samples over every data-parallel rank; each rank's loader skips alike.
    train_batches_->set_consumed(ckpt.state.consumed_train_samples);
  }
  ASCENT_LOG_INFO("loaded {} (iteration {}, written by a TP{} PP{} DP{} job){}", ckpt.dir,
                  ckpt.state.iteration, ckpt.layout.model_parallel.tensor_model_parallel_size,
                  ckpt.layout.model_parallel.pipeline_model_parallel_size,
                  ckpt.layout.data_parallel_size,
                  args_.run.finetune ? ", weights only"
                  : optimizer_too    ? ""
                                     : ", no optimizer state");
}

bool Trainer::already_saved() const {
  if (loaded_dir_.empty()) return false;
  std::error_code ec;
  const fs::path target = fs::path(args_.run.save) / checkpoint_dir_name(iteration_);
  if (!fs::equivalent(loaded_dir_, target, ec)) return false;
  const std::optional<int64_t> marker = read_marker(args_.run.save);
  return marker && *marker == iteration_;
}

void Trainer::prune_checkpoints_after_save() const {
  if (args_.run.keep_last_checkpoints > 0)
    prune_checkpoints(args_.run.save, args_.run.keep_last_checkpoints);
}

void Trainer::save() {
  if (already_saved()) {
    ASCENT_LOG_INFO(
        " iteration {} is already saved in {} (resumed from it, no step since); "
        "not saving it again",
        iteration_, args_.run.save);
    return;
  }
  TrainState st;
  st.iteration = iteration_;
  st.consumed_train_samples = train_batches_->consumed();
  st.optimizer_steps = optimizer_->steps();
  st.seed = args_.run.seed;
  st.args = args_.to_json();
  if (scaler_) st.loss_scaler = scaler_->to_json();
  if (!distributed()) {
    save_checkpoint(args_.run.save, *weights_, optimizer_.get(), st);
    ASCENT_LOG_INFO(" saved checkpoint iteration {} to {}", iteration_, args_.run.save);
    prune_checkpoints_after_save();
    return;
  }
  // Every model-parallel rank of data-parallel rank 0 writes its shard; under ZeRO the optimizer
  // state and (ZeRO-3) the weights are gathered from the data-parallel ranks first.
  const parallel::Comm& world = topo_->world();
  std::string tag = std::to_string(getpid());
  world.broadcast(tag, 0);
  const PendingCheckpoint p = pending_checkpoint(args_.run.save, iteration_, tag);
  if (world.rank() == 0) begin_checkpoint(p);
  world.barrier();
  std::vector<Buffer> whole;
  NamedState state;
  std::vector<std::string> names;
  for (auto& [name, buf] : optimizer_->state()) {
    names.push_back(name);
    whole.emplace_back();
    state.emplace_back(name, sync_->whole_state(buf, whole.back()));
  }
  sync_->gather_weights();
  CheckpointLayout layout;
  layout.model_parallel = mp_;
  layout.data_parallel_size = dp_size();
  layout.zero_stage = args_.zero();
  if (topo_->dp_rank() == 0) {
    const ShardPart part{&weights_->layout(), weights_->master(), state};
    save_checkpoint_shard(p, config(), layout, topo_->tp_rank(), topo_->pp_rank(),
                          std::span<const ShardPart>(&part, 1));
  }
  sync_->drop_unowned();
  world.barrier();
  if (world.rank() == 0) {
    commit_checkpoint(p, config(), layout, names, st);
    prune_checkpoints_after_save();
  }
  world.barrier();
  ASCENT_LOG_INFO(" saved checkpoint iteration {} to {}", iteration_, args_.run.save);
}

}  // namespace ascent
