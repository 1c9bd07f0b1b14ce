// `ascent train`: pretrain or fine-tune with Megatron-style flags. With no flags at all it runs
// the embedded demo (cli/demo.cpp).
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
#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/flag_registration.h"
#include "core/error.h"
#include "core/log.h"
#include "parallel/mpi_env.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace ascent::cli {
namespace {

// The model comes from the checkpoint being resumed (opened once, here, and handed to the
// trainer), else from an HF directory, else from flags.
ModelConfig resolve_model(const TrainArgs& args, std::optional<CheckpointInfo>& checkpoint) {
  if (!args.run.load.empty()) {
    if (is_ascent_checkpoint(args.run.load)) {
      checkpoint = open_checkpoint(args.run.load);
      return checkpoint->config;
    }
    if (fs::exists(fs::path(args.run.load) / "config.json")) return read_hf_config(args.run.load);
    throw error("[train] --load ", args.run.load,
                ": neither an ascent checkpoint nor an HF model directory (no config.json)");
  }
  int64_t vocab = 0;
  if (!args.data.tokenizer_name_or_path.empty())
    vocab = tokenizer::load_tokenizer(args.data.tokenizer_type, args.data.tokenizer_name_or_path)
                ->vocab_size();
  return model_config_from_args(args, vocab);
}

// Megatron's idiom `--save DIR --load DIR` resumes when DIR holds a checkpoint and starts from
// scratch when it does not yet; any other --load without a checkpoint stays an error.
void start_fresh_if_nothing_saved_yet(TrainArgs& args) {
  const std::string& load = args.run.load;
  if (load.empty() || args.run.save.empty() || is_ascent_checkpoint(load) ||
      fs::exists(fs::path(load) / "config.json"))
    return;
  std::error_code ec;
  if (fs::weakly_canonical(load, ec) != fs::weakly_canonical(args.run.save, ec)) return;
  ASCENT_LOG_INFO(
      "[train] --load {}: no checkpoint there yet (it is also --save); starting from "
      "random weights",
      load);
  args.run.load.clear();
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
  if (rank == 0) {
    log_compat_notes(compat_given);
    for (const std::string& note : args.notes) ASCENT_LOG_INFO("{}", note);
  }
  start_fresh_if_nothing_saved_yet(args);
  try {
    std::optional<CheckpointInfo> checkpoint;
    const ModelConfig cfg = resolve_model(args, checkpoint);
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
  add_flags(*cmd, args->flags());
  // Megatron / AscendSpeed flags that change nothing here, each with its note.
  const auto compat = std::make_shared<CompatOptions>(add_compat_flags(*cmd));
  // A flag from the config file followed by the same flag on the command line: the latter wins.
  for (CLI::Option* o : cmd->get_options())
    if (o->get_items_expected_max() == 1) o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->callback([args, cmd, compat] {
    if (cmd->get_options([](const CLI::Option* o) { return o->count() > 0; }).empty()) {
      set_log_rank(0);
      run_demo(DemoOptions{});
      return;
    }
    run_training(*args, given_compat_flags(*compat));
  });
}

}  // namespace ascent::cli
