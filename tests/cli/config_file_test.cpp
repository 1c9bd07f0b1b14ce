// `--config FILE` is strict TOML: top-level `flag = value` lines only; a section header, a key
// set twice, an unquoted word or an unknown flag is an error naming the file and the line. A
// value given in the file counts as given (an explicit 0 is refused where 0 is no size).
#include "cli/config_file.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "cli/flag_registration.h"
#include "support/test_dir.h"
#include "train/train_args.h"

namespace ascent {
namespace {

// `ascent train --config FILE [more]` expanded; with the parser when `app` is given.
std::vector<std::string> expand(const std::string& file, const CLI::App* app = nullptr,
                                std::vector<std::string> more = {}) {
  std::vector<std::string> words = {"ascent", "train", "--config", file};
  words.insert(words.end(), more.begin(), more.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return cli::expand_config_files(static_cast<int>(argv.size()), argv.data(), app);
}

// A parser with `ascent train`'s flags bound to `args`, as the binary registers them.
struct TrainParser {
  TrainArgs args;
  CLI::App app;
  CLI::App* cmd = app.add_subcommand("train");
  std::vector<CLI::Option*> options = cli::add_flags(*cmd, args.flags());

  // Parses the file's flags and fills args.given.
  void parse(const std::string& file) {
    std::vector<std::string> words = expand(file, &app);
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    app.parse(static_cast<int>(argv.size()), argv.data());
    args.given = cli::given_flags(args.flags(), options);
  }
};

TEST(ConfigFile, ReadsValuesArraysAndSwitches) {
  testing::TestDir dir;
  testing::write_text(dir / "run.toml",
                      "\xEF\xBB\xBF# a run\n"
                      "model = \"tiny-gqa\"   # preset\n"
                      "\n"
                      "data-path = [\n"
                      "  \"1\", 'a b',  # weight, prefix\n"
                      "  0.5, \"c\\u00e9\\\"\",\n"
                      "]\n"
                      "train-iters=1_000\n"
                      "lr = -1.5e-3\n"
                      "bf16 = true\n"
                      "fp16 = false\n");
  const std::vector<std::string> want = {"ascent",
                                         "train",
                                         "--model",
                                         "tiny-gqa",
                                         "--data-path",
                                         "1",
                                         "a b",
                                         "0.5",
                                         "c\xC3\xA9\"",
                                         "--train-iters",
                                         "1000",
                                         "--lr",
                                         "-1.5e-3",
                                         "--bf16",
                                         "--fp16=false",
                                         "--seq-length",
                                         "8"};
  EXPECT_EQ(expand(dir / "run.toml", nullptr, {"--seq-length", "8"}), want);
}

TEST(ConfigFile, MalformedLinesNameFileAndLine) {
  testing::TestDir dir;
  const std::string f = dir / "run.toml";
  const auto refused = [&](const std::string& text, std::initializer_list<std::string> parts) {
    testing::write_text(f, text);
    testing::expect_error([&] { expand(f); }, parts);
  };
  refused("seq-length = 8\n[train]\nlr = 0.1\n",
          {"[config] " + f + ":2: '[...]' section headers are not supported"});
  refused("seq-length = 8\nlr = 0.1\n\nseq-length = 16\n",
          {f + ":4: 'seq-length' is set twice (first on line 1)"});
  refused("model = tiny-gqa\n", {f + ":1: 'tiny-gqa' is not a TOML value", "\"tiny-gqa\""});
  refused("a.b = 1\n", {f + ":1: 'a.b' is not a flag name"});
  refused("lr = 0.1 0.2\n", {f + ":1: unexpected text after the value"});
  refused("lr =\n", {f + ":1: missing value"});
  refused("split = \"90,10\n", {f + ":1: string not closed"});
  refused("data-path = [\"a\",\n\"b\"\n", {f + ":3: array not closed"});
  refused("data-path = [[\"a\"]]\n", {f + ":1: nested arrays"});
  refused("seed = 0x10\n", {f + ":1: '0x10' is not a TOML value"});
  refused("start = 1979-05-27\n", {f + ":1: '1979-05-27' is not a TOML value"});
  refused("split = \"a\\qb\"\n", {f + ":1: unknown escape"});
  refused("lr 0.1\n", {f + ":1: expected '=' after 'lr'"});
}

TEST(ConfigFile, UnknownFlagNamesFileAndLine) {
  testing::TestDir dir;
  testing::write_text(dir / "run.toml", "seq-length = 8\nno-such-flag = 1\n");
  TrainParser p;
  testing::expect_error([&] { p.parse(dir / "run.toml"); },
                        {dir / "run.toml" + ":2: 'no-such-flag' is not a flag of ascent train"});
}

// `hidden-size = 0` used to fall back to the preset's value: now it is a given 0, refused.
TEST(ConfigFile, ExplicitZeroIsAnError) {
  testing::TestDir dir;
  testing::write_text(dir / "run.toml", "model = \"tiny-gqa\"\nhidden-size = 0\n");
  TrainParser p;
  p.parse(dir / "run.toml");
  EXPECT_TRUE(p.args.given.contains("--hidden-size"));
  EXPECT_FALSE(p.args.given.contains("--num-layers"));
  testing::expect_error([&] { model_config_from_args(p.args, 0); },
                        {"[train] --hidden-size 0 must be positive"});
}

// A huge layer count from a config file is refused by the size limits before anything is
// allocated (it used to allocate for 23 s before std::bad_alloc).
TEST(ConfigFile, HugeLayerCountRefusedBeforeAllocation) {
  testing::TestDir dir;
  testing::write_text(dir / "run.toml", "num-layers = 99999999\n");
  TrainParser p;
  p.parse(dir / "run.toml");
  const auto start = std::chrono::steady_clock::now();
  testing::expect_error([&] { model_config_from_args(p.args, 0); },
                        {"[model] --num-layers 99999999 is beyond what ascent supports"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace ascent
