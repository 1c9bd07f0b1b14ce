// Nothing the flags ask for is dropped without a word: architecture flags given with --load must
// match the loaded model (those left out are taken from it), an explicit 0 is not "the preset's
// value", --max-position-embeddings follows Megatron's rule, and every flag that has no effect in
// this run gets a warning naming it.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "cli/flag_registration.h"
#include "model/architecture_check.h"
#include "support/test_dir.h"
#include "train/flag_warnings.h"
#include "train/train_args.h"

namespace ascent {
namespace {

// `ascent train WORDS...` parsed into a TrainArgs with its given flags, as the binary does.
TrainArgs parse(std::vector<std::string> words) {
  TrainArgs args;
  CLI::App app;
  CLI::App* cmd = app.add_subcommand("train");
  const std::vector<CLI::Option*> options = cli::add_flags(*cmd, args.flags());
  words.insert(words.begin(), {"ascent", "train"});
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  args.given = cli::given_flags(args.flags(), options);
  return args;
}

// A checkpoint's model: tiny-gqa with 2 layers and a 1000-token vocabulary.
ModelConfig saved_model() {
  ModelConfig c = model_preset("tiny-gqa");
  c.num_layers = 2;
  c.vocab_size = 1000;
  return c;
}

ModelConfig check(const std::vector<std::string>& words) {
  const TrainArgs a = parse(words);
  return check_loaded_model(a.model, a.given, saved_model(), "ckpt", "checkpoint");
}

TEST(LoadCheck, FlagsLeftOutComeFromTheCheckpoint) {
  const ModelConfig c = check({"--seq-length", "512", "--hidden-dropout", "0.1"});
  EXPECT_EQ(c.num_layers, 2);
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.max_position_embeddings, 256);
  EXPECT_FLOAT_EQ(c.hidden_dropout, 0.1f);  // a training setting, from the flags
  // Flags that agree are fine, --model included (vocabulary and positions are not compared
  // unless given).
  EXPECT_EQ(check({"--model", "tiny-gqa", "--num-layers", "2", "--hidden-size", "64"}).num_layers,
            2);
  EXPECT_EQ(check({"--group-query-attention", "--num-query-groups", "2"}).num_query_groups, 2);
}

TEST(LoadCheck, DisagreeingFlagsAreListedFlagByFlag) {
  testing::expect_error(
      [] {
        check({"--num-layers", "3", "--hidden-size", "128"});
      },
      {"[train] --load ckpt: the model flags given disagree with the checkpoint",
       "\n  --num-layers 3 vs checkpoint 2", "\n  --hidden-size 128 vs checkpoint 64",
       "Flags left out are taken from the checkpoint"});
  // With --model, the preset's shape is what was asked for.
  testing::expect_error(
      [] {
        check({"--model", "tiny-llama"});
      },
      {"--num-layers 6 (--model tiny-llama) vs checkpoint 2",
       "--hidden-size 288 (--model tiny-llama) vs checkpoint 64",
       "--num-query-groups 6 (--model tiny-llama) vs checkpoint 2"});
  testing::expect_error(
      [] {
        check({"--model", "tiny-gpt2", "--num-layers", "2"});
      },
      {"--position-embedding-type absolute (--model tiny-gpt2) vs checkpoint "
       "rope",
       "mlp gelu (--model tiny-gpt2) vs checkpoint swiglu",
       "tied embeddings yes (--model tiny-gpt2) vs checkpoint no"});
  // Counts are compared once given; a head count without --group-query-attention means MHA.
  testing::expect_error(
      [] {
        check({"--vocab-size", "32000", "--max-position-embeddings", "64"});
      },
      {"--vocab-size 32000 vs checkpoint 1000", "--max-position-embeddings 64 vs checkpoint 256"});
  testing::expect_error(
      [] {
        check({"--num-attention-heads", "4"});
      },
      {"--num-query-groups 4 (implied by the flags given) vs checkpoint 2"});
  testing::expect_error(
      [] {
        check({"--normalization", "LayerNorm", "--norm-epsilon", "1e-6"});
      },
      {"--normalization LayerNorm vs checkpoint RMSNorm",
       "--norm-epsilon 1e-06 vs checkpoint 1e-05"});
}

TEST(LoadCheck, ExplicitZeroIsRefused) {
  for (const char* flag :
       {"--num-layers", "--hidden-size", "--ffn-hidden-size", "--num-attention-heads",
        "--num-query-groups", "--max-position-embeddings", "--vocab-size"}) {
    const TrainArgs a = parse({flag, "0"});
    testing::expect_error([&] { model_config_from_args(a, 0); },
                          {std::string("[train] ") + flag + " 0 must be positive"});
    testing::expect_error([&] { check({flag, "0"}); }, {std::string(flag) + " 0 must be positive"});
  }
  testing::expect_error(
      [] {
        model_config_from_args(parse({"--norm-epsilon", "0"}), 0);
      },
      {"[train] --norm-epsilon 0 must be positive"});
  testing::expect_error(
      [] {
        model_config_from_args(parse({"--init-method-std", "0"}), 0);
      },
      {"[train] --init-method-std 0 must be positive"});
  // Built in code (nothing given), 0 still means "the preset's value".
  TrainArgs code;
  code.model.num_layers = 0;
  EXPECT_EQ(model_config_from_args(code, 0).num_layers, 6);
}

// Megatron refuses --max-position-embeddings below --seq-length; a preset's value is raised to
// it, with a warning.
TEST(LoadCheck, MaxPositionEmbeddingsBelowSeqLength) {
  testing::expect_error(
      [] {
        model_config_from_args(parse({"--seq-length", "512", "--max-position-embeddings", "300"}),
                               0);
      },
      {"[train] --max-position-embeddings 300 is below --seq-length 512"});
  TrainArgs a = parse({"--seq-length", "512", "--data-path", "x"});
  EXPECT_EQ(model_config_from_args(a, 0).max_position_embeddings, 512);
  a.finalize();
  const std::vector<std::string> w = flag_warnings(a, nullptr);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0],
            "--max-position-embeddings raised from 256 (--model tiny-llama) to --seq-length 512: "
            "the model would have no position past 256");
  TrainArgs fits = parse({"--seq-length", "256", "--data-path", "x"});
  fits.finalize();
  EXPECT_TRUE(flag_warnings(fits, nullptr).empty());
}

// Each flag that changes nothing in the run: one warning naming it and why.
TEST(LoadCheck, IneffectiveFlagsAreNamedOnce) {
  TrainArgs a = parse({"--data-path", "x", "--loss-scale", "128", "--hysteresis", "3",
                       "--variable-seq-lengths", "--save-interval", "5", "--optimizer", "sgd",
                       "--adam-beta1", "0.8", "--num-query-groups", "2", "--finetune"});
  a.finalize();
  const std::vector<std::string> w = flag_warnings(a, nullptr);
  const std::vector<std::string> want = {
      "--num-query-groups has no effect without --group-query-attention (query groups are set "
      "only together with it, as in Megatron)",
      "--loss-scale has no effect without --fp16 (only fp16 training scales the loss)",
      "--hysteresis has no effect without --fp16 (only fp16 training scales the loss)",
      "--variable-seq-lengths has no effect without --is-instruction-dataset (pretraining rows "
      "are always --seq-length tokens)",
      "--adam-beta1 has no effect with --optimizer sgd",
      "--save-interval has no effect without --save (no checkpoint directory)",
      "--finetune has no effect without --load (nothing to load)"};
  EXPECT_EQ(w, want);
  // The same flags where they matter: no warning.
  TrainArgs ok = parse({"--data-path", "x", "--fp16", "--loss-scale", "128", "--optimizer", "sgd",
                        "--sgd-momentum", "0.5", "--save", "s", "--save-interval", "5"});
  ok.finalize();
  EXPECT_TRUE(flag_warnings(ok, nullptr).empty());
  TrainArgs adam = parse({"--data-path", "x", "--sgd-momentum", "0.5"});
  adam.finalize();
  EXPECT_EQ(flag_warnings(adam, nullptr),
            std::vector<std::string>{"--sgd-momentum has no effect with --optimizer adam"});
}

TEST(LoadCheck, CheckpointAlreadyAtTrainIters) {
  CheckpointInfo ckpt;
  ckpt.state.iteration = 20;
  TrainArgs a = parse(
      {"--data-path", "x", "--load", "ckpt", "--train-iters", "20", "--init-method-std", "0.01"});
  a.finalize();
  EXPECT_EQ(flag_warnings(a, &ckpt),
            (std::vector<std::string>{
                "--init-method-std has no effect with --load: the weights come from ckpt",
                "--train-iters 20: the checkpoint loaded from ckpt is at iteration 20 already, so "
                "there is nothing to train (raise --train-iters to go on, or --finetune to start "
                "over from its weights)"}));
  TrainArgs more = parse({"--data-path", "x", "--load", "ckpt", "--train-iters", "21"});
  more.finalize();
  EXPECT_TRUE(flag_warnings(more, &ckpt).empty());
  TrainArgs finetune =
      parse({"--data-path", "x", "--load", "ckpt", "--train-iters", "20", "--finetune"});
  finetune.finalize();
  EXPECT_TRUE(flag_warnings(finetune, &ckpt).empty());
}

}  // namespace
}  // namespace ascent
