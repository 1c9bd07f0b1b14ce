// `ascent train`: pretrain or fine-tune with Megatron-style flags. With no flags at all it runs
// the embedded demo (cli/demo.cpp).
#include <fmt/format.h>
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/hf_config.h"
#include "checkpoint/save_dir.h"
#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/flag_registration.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stop_signals.h"
#include "model/architecture_check.h"
#include "parallel/mpi_env.h"
#include "tokenizer/tokenizer.h"
#include "train/flag_warnings.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace ascent::cli {
namespace {

// True when --load names a directory with no checkpoint in it yet: missing, empty, or holding
// only what a run writes before its first checkpoint commits (run_config.json, an uncommitted
// iter_*.tmp.* save). Launch scripts pass --save X --load X from the first run on.
bool holds_no_checkpoint_yet(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  if (!fs::is_directory(dir, ec)) return false;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    const bool uncommitted =
        e.is_directory() && name.starts_with("iter_") && name.find(".tmp.") != std::string::npos;
    if (name != "run_config.json" && !uncommitted) return false;
  }
  return true;
}

// The model comes from the checkpoint being resumed (opened once, here, and handed to the
// trainer), else from an HF directory, else from flags; architecture flags given must agree with
// a loaded model. A --load directory with no checkpoint yet starts the run from scratch, as
// Megatron does (a warning names it; --load is cleared so the trainer initialises randomly).
ModelConfig resolve_model(TrainArgs& args, std::optional<CheckpointInfo>& checkpoint, int rank) {
  const std::string& load = args.run.load;
  if (!load.empty()) {
    if (is_ascent_checkpoint(load)) {
      checkpoint = open_checkpoint(load);
      return check_loaded_model(args.model, args.given, checkpoint->config, load, "checkpoint");
    }
    if (fs::exists(fs::path(load) / "config.json"))
      return check_loaded_model(args.model, args.given, read_hf_config(load), load, "HF config");
    if (!holds_no_checkpoint_yet(load))
      throw error("[train] --load ", load,
                  ": neither an ascent checkpoint nor an HF model directory (no config.json)");
    if (args.run.finetune)
      throw error("[train] --load ", load,
                  ": no checkpoint there to fine-tune from (--finetune needs the weights)");
    if (rank == 0)
      ASCENT_LOG_WARN(
          "[train] --load {}: no checkpoint there yet ({}); starting from "
          "scratch",
          load, fs::exists(load) ? "no checkpoint files in the directory" : "no such directory");
    args.run.load.clear();
  }
  int64_t vocab = 0;
  if (!args.data.tokenizer_name_or_path.empty())
    vocab = tokenizer::load_tokenizer(args.data.tokenizer_type, args.data.tokenizer_name_or_path)
                ->vocab_size();
  return model_config_from_args(args, vocab);
}

void write_run_config(const TrainArgs& args) {
  if (args.run.save.empty()) return;
  fs::create_directories(args.run.save);
  std::ofstream(fs::path(args.run.save) / "run_config.json") << args.to_json().dump(2) << "\n";
}

}  // namespace

// True when mpirun (Open MPI, or a PMI-based launcher such as Slurm's srun) started us.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

void run_training(TrainArgs args, const std::vector<const CompatFlag*>& compat_given) {
  args.finalize();
  // MPI only when launched by mpirun or asked for a parallel layout (which then explains how to
  // launch); a plain single-process run never touches MPI.
  std::unique_ptr<parallel::MpiEnv> mpi;
  if (launched_by_mpi() || args.parallel.tensor_model_parallel_size > 1 ||
      args.parallel.pipeline_model_parallel_size > 1 || args.zero() > 0)
    mpi = std::make_unique<parallel::MpiEnv>(nullptr, nullptr);
  const int rank = mpi ? mpi->world_rank() : 0;
  set_log_rank(rank);
  // After MPI_Init, so that nothing MPI installs replaces the handlers.
  std::optional<StopSignals> stop_signals;
  if (args.run.exit_signal_handler)
    stop_signals.emplace(
        args.run.save.empty() ? "stopping after this iteration (no --save: nothing is saved)"
                              : "stopping after this iteration to save a checkpoint and exit",
        mpi && mpi->world_size() > 1 ? fmt::format("ascent rank {}", rank) : "ascent");
  if (rank == 0) {
    log_compat_notes(compat_given);
    for (const std::string& note : args.notes) ASCENT_LOG_INFO("{}", note);
  }
  try {
    // Start-up recovery of --save (stale temporary directories, an interrupted re-save), before
    // any rank opens a checkpoint that it might rename (checkpoint/save_dir.h).
    if (!args.run.save.empty()) {
      if (rank == 0) recover_save_dir(args.run.save);
      if (mpi) MPI_Barrier(MPI_COMM_WORLD);
    }
    std::optional<CheckpointInfo> checkpoint;
    const ModelConfig cfg = resolve_model(args, checkpoint, rank);
    if (rank == 0)
      for (const std::string& w : flag_warnings(args, checkpoint ? &*checkpoint : nullptr))
        ASCENT_LOG_WARN("[train] {}", w);
    if (rank == 0) write_run_config(args);
    Trainer trainer(args, cfg, checkpoint ? &*checkpoint : nullptr);
    trainer.run();
  } catch (const std::exception& e) {
    if (!mpi || mpi->world_size() == 1) throw;
    // Other ranks may be blocked in a collective: report and take the whole job down.
    std::fprintf(stderr, "error: rank %d: %s\n", rank, e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "pretrain or fine-tune (no flags: the demo)");
  // Expanded before parsing (cli/config_file.h); registered here for --help.
  cmd->add_option("--config", "TOML file whose keys are flag names; command-line flags win");
  const std::vector<CLI::Option*> options = add_flags(*cmd, args->flags());
  // Megatron / AscendSpeed flags that change nothing here, each with its note.
  const auto compat = std::make_shared<CompatOptions>(add_compat_flags(*cmd));
  // A flag from the config file followed by the same flag on the command line: the latter wins.
  for (CLI::Option* o : cmd->get_options())
    if (o->get_items_expected_max() == 1) o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->callback([args, cmd, options, compat] {
    if (cmd->get_options([](const CLI::Option* o) { return o->count() > 0; }).empty()) {
      set_log_rank(0);
      run_demo(DemoOptions{});
      return;
    }
    args->given = given_flags(args->flags(), options);
    run_training(*args, given_compat_flags(*compat));
  });
}

}  // namespace ascent::cli
