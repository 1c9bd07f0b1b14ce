// The flags of `ascent train` come from one table (TrainArgs::flags()): each is registered with
// CLI11, shown in --help with its default, saved by to_json(), read back from a config file, and
// a bad value names it.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <type_traits>

#include "cli/config_file.h"
#include "cli/flag_registration.h"
#include "support/test_dir.h"
#include "train/train_args.h"

namespace ascent {
namespace {

// Sets the member behind `f` to a value other than its default, and returns it as command-line
// words (none for a switch, which is set to true).
std::vector<std::string> perturb(const flags::Flag& f) {
  return std::visit(
      [&](auto* p) -> std::vector<std::string> {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>) {
          *p = true;
          return {};
        } else if constexpr (std::is_same_v<T, std::string>) {
          *p = "s-" + f.key();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          *p = {"x-" + f.key(), "y"};
          return *p;
        } else if constexpr (std::is_floating_point_v<T>) {
          *p += static_cast<T>(0.25);
        } else {
          *p += 2;
        }
        return {f.value_text()};
      },
      f.target);
}

// Parses `words` (after "train") into `args` through the real registration.
void parse(TrainArgs& args, std::vector<std::string> words) {
  CLI::App app;
  CLI::App* cmd = app.add_subcommand("train");
  cli::add_flags(*cmd, args.flags());
  words.insert(words.begin(), {"ascent", "train"});
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

TEST(TrainFlags, EveryFlagInHelpWithItsDefault) {
  TrainArgs args;
  CLI::App app;
  CLI::App* cmd = app.add_subcommand("train");
  cli::add_flags(*cmd, args.flags());
  const std::string help = cmd->help();
  const flags::Table t = args.flags();
  EXPECT_GT(t.flags().size(), 70u);
  for (const flags::Flag& f : t.flags()) {
    // The flag's entry: from its name at the start of a line to the next flag's.
    // The name ends at a space, or at the line's end when it is too long for the help column.
    size_t at = help.find("\n  " + f.name + " ");
    if (at == std::string::npos) at = help.find("\n  " + f.name + "\n");
    ASSERT_NE(at, std::string::npos) << f.name << " not in:\n" << help;
    const std::string entry = help.substr(at + 1, help.find("\n  -", at + 1) - at - 1);
    if (!f.is_switch() && !f.default_text.empty()) {
      EXPECT_NE(entry.find("=" + f.default_text), std::string::npos) << entry;
    }
    EXPECT_NE(entry.find(f.help), std::string::npos) << entry;
  }
  EXPECT_NE(help.find("--seq-length INT=256"), std::string::npos) << help;
  EXPECT_NE(help.find("--lr FLOAT=0.0001"), std::string::npos) << help;
}

TEST(TrainFlags, SavedKeysAreTheFlagNames) {
  const std::set<std::string> expected = {
      "model", "num-layers", "hidden-size", "ffn-hidden-size", "num-attention-heads",
      "group-query-attention", "num-query-groups", "max-position-embeddings", "vocab-size",
      "position-embedding-type", "normalization", "norm-epsilon", "init-method-std",
      "attention-dropout", "hidden-dropout", "micro-batch-size", "global-batch-size", "seq-length",
      "train-iters", "data-path", "split", "tokenizer-type", "tokenizer-name-or-path",
      "is-instruction-dataset", "variable-seq-lengths", "pack", "long-samples",
      "reset-position-ids", "reset-attention-mask", "eod-mask-loss", "optimizer", "lr", "min-lr",
      "lr-decay-style", "lr-warmup-iters", "lr-decay-iters", "adam-beta1", "adam-beta2", "adam-eps",
      "weight-decay", "sgd-momentum", "clip-grad", "bf16", "fp16", "loss-scale",
      "initial-loss-scale", "min-loss-scale", "loss-scale-window", "hysteresis",
      "max-skipped-steps", "seed", "save", "save-interval", "load", "finetune", "eval-interval",
      "eval-iters", "log-interval", "metrics-file", "exit-signal-handler", "exit-interval",
      "exit-duration-in-mins", "skip-memory-check", "keep-last-checkpoints", "tensorboard-dir",
      "tensorboard-log-interval", "log-timers-to-tensorboard", "log-memory-to-tensorboard",
      "log-validation-ppl-to-tensorboard", "tensor-model-parallel-size",
      "pipeline-model-parallel-size", "sequence-parallel", "num-layers-per-virtual-pipeline-stage",
      "manual-layers", "optimized-pipeline", "manual-mbs", "use-distributed-optimizer",
      "zero-stage", "foldx-mode", "distributed-timeout-minutes", "make-vocab-size-divisible-by",
      "ddp-bucket-size", "recompute-granularity", "recompute-method", "recompute-num-layers",
      // Megatron / AscendSpeed spellings with a meaning here
      "add-bias-linear", "disable-bias-linear", "embed-layernorm", "lm-norm-weight", "no-add-gate",
      "swiglu", "untie-embeddings-and-output-weights", "no-untie-embeddings-and-output-weights",
      "z-loss-weight", "tokenizer-not-use-fast", "train-samples", "no-load-optim",
      "lr-warmup-fraction", "lr-warmup-samples", "lr-decay-samples"};
  TrainArgs args;
  const nlohmann::json saved = args.to_json();
  std::set<std::string> keys;
  for (const auto& [k, v] : saved.items()) keys.insert(k);
  EXPECT_EQ(keys, expected);
  const flags::Table t = args.flags();
  // + --checkpoint-activations/-num-layers, --layernorm-epsilon, --tokenizer-model (other names)
  EXPECT_EQ(t.flags().size(), expected.size() + 4);
}

TEST(TrainFlags, EveryFlagSetsItsMember) {
  TrainArgs want;
  const flags::Table table = want.flags();
  std::vector<std::string> words;
  for (const flags::Flag& f : table.flags()) {
    words.push_back(f.name);
    for (std::string& w : perturb(f)) words.push_back(w);
  }
  TrainArgs got;
  parse(got, words);
  EXPECT_EQ(got.to_json(), want.to_json());
  EXPECT_NE(got.to_json(), TrainArgs{}.to_json());
  EXPECT_TRUE(got.recompute.checkpoint_activations);  // not saved: compare the members
  EXPECT_EQ(got.recompute.checkpoint_num_layers, 2);
  EXPECT_EQ(got.run.seed, 1236u);
  EXPECT_EQ(got.parallel.tensor_model_parallel_size, 3);
  EXPECT_EQ(got.lr.decay_style, "s-lr-decay-style");
}

TEST(TrainFlags, ConfigFileRoundTrip) {
  TrainArgs want;
  const flags::Table table = want.flags();
  for (const flags::Flag& f : table.flags())
    if (f.saved) perturb(f);
  const std::filesystem::path dir = std::filesystem::path(ASCENT_BINARY_DIR) / "cli_test_tmp";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "run.toml").string();
  {
    std::ofstream out(file);
    const nlohmann::json saved = want.to_json();
    for (const auto& [k, v] : saved.items()) out << k << " = " << v.dump() << "\n";
  }
  std::vector<std::string> argv_words = {"ascent", "train", "--config", file};
  std::vector<char*> argv;
  for (std::string& w : argv_words) argv.push_back(w.data());
  std::vector<std::string> words =
      cli::expand_config_files(static_cast<int>(argv.size()), argv.data());
  words.erase(words.begin(), words.begin() + 2);
  TrainArgs got;
  parse(got, words);
  EXPECT_EQ(got.to_json(), want.to_json());
}

// A switch that is on by default (--exit-signal-handler) turns off with =false, on the command
// line and in a config file; a later `true` wins again.
TEST(TrainFlags, DefaultOnSwitchTurnsOffOnTheCommandLineAndInAConfigFile) {
  TrainArgs cmdline;
  ASSERT_TRUE(cmdline.run.exit_signal_handler);
  parse(cmdline, {"--exit-signal-handler=false"});
  EXPECT_FALSE(cmdline.run.exit_signal_handler);

  const std::filesystem::path dir = std::filesystem::path(ASCENT_BINARY_DIR) / "cli_test_tmp";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "off.toml").string();
  std::ofstream(file) << "exit-signal-handler = false\nbf16 = false\n";
  for (const bool again : {false, true}) {
    std::vector<std::string> argv_words = {"ascent", "train", "--config", file};
    if (again) argv_words.push_back("--exit-signal-handler");
    std::vector<char*> argv;
    for (std::string& w : argv_words) argv.push_back(w.data());
    std::vector<std::string> words =
        cli::expand_config_files(static_cast<int>(argv.size()), argv.data());
    words.erase(words.begin(), words.begin() + 2);
    TrainArgs got;
    parse(got, words);
    EXPECT_EQ(got.run.exit_signal_handler, again);
    EXPECT_FALSE(got.precision.bf16);
  }
}

// A rule broken by a far-off value reports the flag by name, in its subsystem's words.
TEST(TrainFlags, BadValueNamesTheFlag) {
  TrainArgs args;
  const flags::Table t = args.flags();
  int checked = 0;
  for (const flags::Flag& f : t.flags()) {
    if (f.rules.empty()) continue;
    TrainArgs bad;
    const flags::Table one = bad.flags().only({f.name});
    std::visit(
        [](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, std::string>) {
            *p = "bogus";
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            p->clear();
          } else if constexpr (!std::is_same_v<T, bool> && std::is_signed_v<T>) {
            *p = -1000;
          }
        },
        one.flags()[0].target);
    testing::expect_error([&] { flags::validate(one); }, {"] " + f.name + " "});
    ++checked;
  }
  EXPECT_GE(checked, 25);
  // Through finalize(), with the messages the tests of each subsystem know.
  args.data.data_path = {"x"};
  args.data.seq_length = 0;
  testing::expect_error([&] { TrainArgs(args).finalize(); },
                        {"[train] --seq-length must be positive"});
  args.data.seq_length = 8;
  args.optim.beta1 = 1.f;
  testing::expect_error([&] { TrainArgs(args).finalize(); },
                        {"[optim] --adam-beta1 must be in [0, 1)"});
  args.optim.beta1 = 0.9f;
  args.lr.decay_style = "bogus";
  testing::expect_error(
      [&] { TrainArgs(args).finalize(); },
      {"[optim] --lr-decay-style 'bogus' is not one of constant, linear, cosine"});
  args.lr.decay_style = "cosine";
  args.parallel.tensor_model_parallel_size = 0;
  testing::expect_error([&] { TrainArgs(args).finalize(); },
                        {"[train] --tensor-model-parallel-size must be >= 1"});
  args.parallel.tensor_model_parallel_size = 1;
  args.optim.clip_grad = -1.f;
  testing::expect_error([&] { TrainArgs(args).finalize(); }, {"[train] --clip-grad must be >= 0"});
  args.optim.clip_grad = 1.f;
  TrainArgs ok = args;
  ok.finalize();
  EXPECT_EQ(ok.lr.style, LrDecayStyle::Cosine);
  EXPECT_EQ(ok.lr.decay_iters, ok.run.train_iters);
  EXPECT_EQ(ok.data.global_batch_size, ok.data.micro_batch_size);
}

}  // namespace
}  // namespace ascent
