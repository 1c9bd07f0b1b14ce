// Megatron / AscendSpeed launch flags: the compatibility table (accepted with a note, or refused
// with the reason), the Megatron spellings that have a meaning here, unknown options and commands
// with the nearest names, and --help text for every flag.
#include "train/compat_flags.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <set>

#include "cli/flag_registration.h"
#include "cli/unknown_words.h"
#include "support/test_dir.h"
#include "train/train_args.h"

namespace ascent {
namespace {

struct TrainCli {
  TrainArgs args;
  CLI::App app;
  CLI::App* cmd = app.add_subcommand("train");
  cli::CompatOptions compat;

  TrainCli() {
    cli::add_flags(*cmd, args.flags());
    compat = cli::add_compat_flags(*cmd);
  }
  // Checks the words as `ascent` does, then parses them (after "ascent train").
  void parse(std::vector<std::string> words) {
    words.insert(words.begin(), {"ascent", "train"});
    cli::check_words(app, words, [](std::string_view, std::string_view option) {
      return refusal_reason(option);
    });
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    app.parse(static_cast<int>(argv.size()), argv.data());
  }
  std::vector<std::string> given() const {
    std::vector<std::string> names;
    for (const CompatFlag* f : cli::given_compat_flags(compat)) names.push_back(f->name);
    return names;
  }
};

TEST(CompatFlags, AcceptedFlagsParseAndAreReported) {
  TrainCli c;
  c.parse({"--use-flash-attn", "--DDP-impl", "local", "--rampup-batch-size", "192", "16",
           "9_765_625", "--deepspeed_config=ds.json", "--zero-stage=2", "--data-impl", "mmap",
           "--seq-length", "16"});
  EXPECT_EQ(c.given(),
            (std::vector<std::string>{"--use-flash-attn", "--DDP-impl", "--deepspeed_config",
                                      "--data-impl", "--rampup-batch-size"}));
  EXPECT_EQ(c.args.parallel.zero_stage, 2);
  EXPECT_EQ(c.args.data.seq_length, 16);
  const CompatFlag* f = find_compat_flag("--use-flash-attn");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(compat_note(*f).rfind("--use-flash-attn: no effect here: ", 0), 0u) << compat_note(*f);
  EXPECT_EQ(compat_note(*find_compat_flag("--rampup-batch-size"))
                .rfind("--rampup-batch-size: ignored: batch-size ramp-up is not implemented", 0),
            0u);
}

TEST(CompatFlags, RefusedFlagsSayWhy) {
  TrainCli c;
  testing::expect_error(
      [&] {
        c.parse({"--vocab-file", "v.json"});
      },
      {"[train] --vocab-file is not supported: ", "GPT2BPETokenizer"});
  testing::expect_error(
      [&] {
        c.parse({"--lora-target-modules", "query_key_value", "dense", "--lora-r", "16"});
      },
      {"[train] --lora-target-modules: LoRA fine-tuning is not supported yet"});
  testing::expect_error(
      [&] {
        c.parse({"--recomputation-layer-num", "3", "2"});
      },
      {"--recomputation-layer-num is not supported", "--recompute-method block"});
}

TEST(CompatFlags, TableIsConsistent) {
  std::set<std::string> names;
  TrainArgs args;
  const flags::Table real = args.flags();
  for (const CompatFlag& f : compat_flags()) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name << " twice";
    EXPECT_EQ(f.name.rfind("--", 0), 0u) << f.name;
    EXPECT_GT(f.why.size(), 10u) << f.name;
    EXPECT_EQ(refusal_reason(f.name).empty(), f.status != CompatStatus::Unsupported) << f.name;
  }
  EXPECT_EQ(refusal_reason("--no-such-flag"), "");
}

// A flag that gains a meaning here (declared in a config's table) wins over its compat row.
TEST(CompatFlags, RealFlagWinsOverCompatRow) {
  bool flash = false;
  flags::Table t("train");
  t.add("--use-flash-attn", flash, "a real meaning");
  CLI::App app;
  cli::add_flags(app, t);
  const cli::CompatOptions compat = cli::add_compat_flags(app);
  for (const auto& [row, option] : compat) EXPECT_NE(row->name, "--use-flash-attn");
  EXPECT_EQ(app.get_option("--use-flash-attn")->get_description(), "a real meaning");
}

TEST(UnknownWords, NearestNames) {
  const std::vector<std::string> names = {"--lr", "--lr-warmup-iters", "--lr-warmup-fraction",
                                          "--seq-length", "--micro-batch-size"};
  EXPECT_EQ(cli::nearest_names("--seq-lenght", names), (std::vector<std::string>{"--seq-length"}));
  EXPECT_EQ(cli::nearest_names("--lr-warmup", names),
            (std::vector<std::string>{"--lr-warmup-iters", "--lr-warmup-fraction"}));
  EXPECT_EQ(cli::nearest_names("--micro-batch", names),
            (std::vector<std::string>{"--micro-batch-size"}));
  EXPECT_TRUE(cli::nearest_names("--tensorboard-dir", names).empty());
}

TEST(UnknownWords, OptionsAndCommands) {
  TrainCli c;
  c.app.add_subcommand("convert");
  c.app.add_subcommand("generate");
  testing::expect_error(
      [&] {
        c.parse({"--seq-lenght", "8"});
      },
      {"[train] unknown option --seq-lenght (did you mean --seq-length?)"});
  testing::expect_error(
      [&] {
        c.parse({"--micro-batch", "8"});
      },
      {"unknown option --micro-batch (did you mean --micro-batch-size"});
  testing::expect_error([&] { c.parse({"--zzzzzzzzzzzzzz"}); },
                        {"[train] unknown option --zzzzzzzzzzzzzz (ascent train --help lists"});
  testing::expect_error(
      [&] {
        cli::check_words(c.app, {"ascent", "trian", "--lr", "1"});
      },
      {"unknown command 'trian' (did you mean 'train'?)"});
  testing::expect_error(
      [&] {
        cli::check_words(c.app, {"ascent", "xyzzy"});
      },
      {"unknown command 'xyzzy' (commands: train, convert, generate)"});
  testing::expect_error([&] { cli::check_words(c.app, {"ascent"}); }, {"no command given"});
  // A value word, "--name=value" and everything after a lone "--" pass.
  cli::check_words(c.app, {"ascent", "train", "--split", "train", "--lr=1", "--", "--x"});
}

TEST(MegatronSpellings, LengthsInSamplesAndFractions) {
  TrainCli c;
  c.parse({"--data-path", "x", "--micro-batch-size", "2", "--global-batch-size", "8",
           "--train-samples", "4_000", "--lr-warmup-fraction", "0.01", "--lr-decay-samples",
           "3_201", "--lr", "1e-3"});
  c.args.finalize();
  EXPECT_EQ(c.args.run.train_iters, 500);  // 4000 / 8
  EXPECT_EQ(c.args.lr.decay_iters, 401);   // 3201 / 8, rounded up
  EXPECT_EQ(c.args.lr.warmup_iters, 4);    // 0.01 x 401, truncated (Megatron)
  TrainCli s;
  s.parse({"--data-path", "x", "--global-batch-size", "8", "--micro-batch-size", "4",
           "--lr-warmup-samples", "20", "--train-iters", "50"});
  s.args.finalize();
  EXPECT_EQ(s.args.lr.warmup_iters, 3);
  EXPECT_EQ(s.args.lr.decay_iters, 50);
  TrainArgs both = s.args;
  both.lr.warmup_fraction = 0.1;
  testing::expect_error([&] { both.finalize(); },
                        {"[optim] give one of --lr-warmup-iters, --lr-warmup-fraction"});
  TrainArgs few = TrainCli().args;
  few.data.data_path = {"x"};
  few.data.global_batch_size = 8;
  few.run.train_samples = 7;
  testing::expect_error([&] { few.finalize(); },
                        {"[train] --train-samples 7 is less than one --global-batch-size (8)"});
}

TEST(MegatronSpellings, ArchitectureSwitches) {
  TrainCli c;
  c.parse({"--model", "tiny-llama", "--no-add-gate", "--add-bias-linear", "--embed-layernorm",
           "--no-untie-embeddings-and-output-weights", "--layernorm-epsilon", "1e-5",
           "--lm-norm-weight", "--z-loss-weight", "1e-4", "--tokenizer-model", "tok.model",
           "--optimizer", "fused_adam"});
  const ModelConfig m = model_config_from_args(c.args, 0);
  EXPECT_EQ(m.mlp, MlpType::GeLU);
  EXPECT_TRUE(m.qkv_bias && m.out_bias && m.mlp_bias);
  EXPECT_TRUE(m.embedding_norm && m.lm_norm_weight && m.tied_embeddings);
  EXPECT_FLOAT_EQ(m.norm_eps, 1e-5f);
  EXPECT_FLOAT_EQ(m.z_loss, 1e-4f);
  EXPECT_EQ(c.args.data.tokenizer_name_or_path, "tok.model");
  c.args.data.data_path = {"x"};
  c.args.finalize();
  EXPECT_EQ(c.args.optim.name, "adam");
  TrainCli d;
  d.parse({"--model", "bloom-7b1", "--swiglu", "--disable-bias-linear",
           "--untie-embeddings-and-output-weights"});
  const ModelConfig b = d.args.model.resolve(16, 0);
  EXPECT_EQ(b.mlp, MlpType::SwiGLU);
  EXPECT_FALSE(b.qkv_bias || b.out_bias || b.mlp_bias || b.tied_embeddings);
  TrainCli e;
  e.parse({"--swiglu", "--no-add-gate"});
  testing::expect_error([&] { e.args.model.resolve(16, 0); },
                        {"[train] --swiglu and --no-add-gate exclude each other"});
}

TEST(MegatronSpellings, SlowTokenizerIsTheSentencePieceModel) {
  testing::TestDir tmp;
  const std::string dir = tmp.str();
  testing::write_text(tmp / "tokenizer.model", "x");
  TrainArgs a;
  a.data.data_path = {"x"};
  a.data.tokenizer_type = "PretrainedFromHF";
  a.data.tokenizer_name_or_path = dir;
  TrainArgs fast = a;
  fast.finalize();
  EXPECT_EQ(fast.data.tokenizer_type, "PretrainedFromHF");
  a.data.tokenizer_not_use_fast = true;
  a.finalize();
  EXPECT_EQ(a.data.tokenizer_type, "SentencePiece");
}

// Every flag of `ascent train` says what it does, and what it is when not given.
TEST(TrainHelp, EveryFlagHasHelpAndDefault) {
  TrainCli c;
  const flags::Table table = c.args.flags();
  for (const flags::Flag& f : table.flags()) {
    EXPECT_FALSE(f.help.empty()) << f.name << " has no help text";
    if (!f.is_switch() && f.default_text.empty()) {
      EXPECT_TRUE(f.help.find("empty") != std::string::npos ||
                  f.help.find("required") != std::string::npos ||
                  f.help.find("name of") != std::string::npos)
          << f.name << ": the help should say what an empty value means";
    }
  }
  const std::string help = c.cmd->help();
  EXPECT_NE(help.find("Megatron / AscendSpeed compatibility"), std::string::npos);
  for (const CompatFlag& f : compat_flags()) {
    if (f.status != CompatStatus::Unsupported) {
      EXPECT_NE(help.find(f.name), std::string::npos) << f.name;
    }
  }
  EXPECT_NE(help.find("--lr FLOAT=0.0001"), std::string::npos) << help;
}

}  // namespace
}  // namespace ascent

namespace ascent {
namespace {

std::string escape_cell(std::string s) {
  for (size_t at = s.find('|'); at != std::string::npos; at = s.find('|', at + 2))
    s.replace(at, 1, "\\|");
  return s;
}

// The table of docs/FLAGS.md: every flag of `ascent train`, then every compatibility row.
std::string render_flags_table() {
  std::string md = "| flag | meaning here | default | status |\n| --- | --- | --- | --- |\n";
  TrainArgs args;
  const flags::Table table = args.flags();
  for (const flags::Flag& f : table.flags()) {
    const std::string def = f.is_switch() ? "off" : f.default_text.empty() ? "" : f.default_text;
    md += "| `" + f.name + "` | " + escape_cell(f.help) + " | " + escape_cell(def) +
          " | supported |\n";
  }
  for (const CompatFlag& f : compat_flags()) {
    const char* status = f.status == CompatStatus::NoEffect  ? "accepted, no effect (note)"
                         : f.status == CompatStatus::Ignored ? "accepted, ignored (warning)"
                                                             : "refused (error)";
    md += "| `" + f.name + "` | " + escape_cell(f.why) + " | | " + status + " |\n";
  }
  md += "| `--lora-*` | LoRA fine-tuning is not supported yet | | refused (error) |\n";
  md += "| `--moe-*` | mixture of experts is not implemented | | refused (error) |\n";
  return md;
}

// docs/FLAGS.md holds the rendered table between two markers; ASCENT_UPDATE_DOCS=1 rewrites it.
TEST(FlagsDoc, TableMatchesTheFlagTables) {
  const std::string path = std::string(ASCENT_SOURCE_DIR) + "/docs/FLAGS.md";
  std::string doc = testing::read_text(path);
  const std::string begin = "<!-- flags:begin -->\n", end = "<!-- flags:end -->";
  const size_t b = doc.find(begin), e = doc.find(end);
  ASSERT_TRUE(b != std::string::npos && e != std::string::npos) << path << ": no markers";
  const std::string want = render_flags_table();
  const std::string have = doc.substr(b + begin.size(), e - b - begin.size());
  if (have != want && std::getenv("ASCENT_UPDATE_DOCS") != nullptr) {
    doc.replace(b + begin.size(), e - b - begin.size(), want);
    testing::write_text(path, doc);
    return;
  }
  EXPECT_EQ(have, want) << path
                        << " is stale: ASCENT_UPDATE_DOCS=1 build/cli_tests "
                           "--gtest_filter=FlagsDoc.* rewrites its table";
}

}  // namespace
}  // namespace ascent
