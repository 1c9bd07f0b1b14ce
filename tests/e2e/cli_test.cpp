// The `ascent` binary end to end: train from a config file (command-line flags win), convert the
// checkpoint to HF, generate from it, and clear errors for bad input.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../train/train_test_util.h"
#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/hf_checkpoint.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

struct CliRun {
  int rc;
  std::string out;
};

CliRun run_ascent(const std::string& args) {
  const std::string cmd = std::string(ASCENT_BINARY_DIR) + "/ascent " + args + " 2>&1";
  CliRun r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  r.rc = pclose(p);
  return r;
}

TEST(Cli, ConfigFileTrainConvertGenerate) {
  const std::string dir = testing::scratch_dir("e2e_cli");
  const std::string prefix = testing::random_dataset(dir, 80, 512, 8);
  {
    std::ofstream f(dir + "/run.toml");
    f << "model = \"tiny-gqa\"\n"
      << "data-path = \"" << prefix << "\"\n"
      << "split = \"90,10,0\"\nseq-length = 32\nmicro-batch-size = 2\n"
      << "global-batch-size = 4\ntrain-iters = 50\nlr = 0.002\n"
      << "save = \"" << dir << "/ckpt\"\nlog-interval = 1\n";
  }
  CliRun t = run_ascent("train --config " + dir + "/run.toml --train-iters 3");
  ASSERT_EQ(t.rc, 0) << t.out;
  EXPECT_NE(t.out.find("iteration      3/3"), std::string::npos) << t.out;
  const nlohmann::json cfg = nlohmann::json::parse(std::ifstream(dir + "/ckpt/run_config.json"));
  EXPECT_EQ(cfg["seq-length"], 32);
  EXPECT_EQ(cfg["train-iters"], 3);  // the command line wins over the file
  EXPECT_EQ(cfg["global-batch-size"], 4);

  // f32 weights (the default is bf16), so they must equal the checkpoint's bit for bit.
  CliRun c =
      run_ascent("convert --load " + dir + "/ckpt --save " + dir + "/hf --to-hf --dtype f32");
  ASSERT_EQ(c.rc, 0) << c.out;
  // Every command logs in the train command's style: no spdlog time stamp or "[info]" tag.
  // (the warning that no tokenizer ships comes first, with the same style).
  EXPECT_EQ(c.out.rfind("warning: [convert] no tokenizer files", 0), 0u) << c.out;
  EXPECT_NE(c.out.find("\nwrote "), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("[info]"), std::string::npos) << c.out;
  const CheckpointInfo ckpt = open_checkpoint(dir + "/ckpt");
  ModelWeights a(ckpt.config, DType::F32), b(read_hf_config(dir + "/hf"), DType::F32);
  load_checkpoint(ckpt, a, nullptr);
  load_hf_weights(dir + "/hf", b.config(), b.layout(), b.master());
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.master(), b.master(), static_cast<size_t>(a.size()) * 4), 0);

  CliRun g = run_ascent("generate --load " + dir + "/hf --prompt \"1 2 3\" --max-new-tokens 5");
  ASSERT_EQ(g.rc, 0) << g.out;
  EXPECT_NE(g.out.find("output"), std::string::npos) << g.out;
  for (const char* half : {"--bf16", "--fp16"}) {
    CliRun h =
        run_ascent("generate --load " + dir + "/hf --prompt \"1 2 3\" --max-new-tokens 5 " + half);
    EXPECT_EQ(h.rc, 0) << h.out;
    EXPECT_NE(h.out.find("output"), std::string::npos) << h.out;
  }
  for (const char* bad : {"1 x 3", "1 -2"}) {
    CliRun r = run_ascent("generate --load " + dir + "/hf --prompt \"" + bad + "\"");
    EXPECT_NE(r.rc, 0) << bad;
    EXPECT_NE(r.out.find("prompts are token ids"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("loaded "), std::string::npos) << "refused before the model loads";
  }
}

TEST(Cli, BadInputNamesTheProblem) {
  CliRun r = run_ascent("train --data-path /nonexistent/corpus_text_document --train-iters 1");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("/nonexistent/corpus_text_document"), std::string::npos) << r.out;
  r = run_ascent("train --data-path x --micro-batch-size 3 --global-batch-size 4");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("--global-batch-size"), std::string::npos) << r.out;
  r = run_ascent("train --model no-such-model --data-path x");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("no-such-model"), std::string::npos) << r.out;
  r = run_ascent("train --load /nonexistent-ckpt --data-path x");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("/nonexistent-ckpt"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ascent

namespace ascent {
namespace {

// `ascent tokenize` and `ascent tokenizer encode/decode` print ids the library gives and decode
// them back; a bad id names the flag.
TEST(Cli, TokenizeEncodesAndDecodes) {
  const std::string model =
      std::string(ASCENT_SOURCE_DIR) + "/../shared/data/tokenizers/llama2/tokenizer.model";
  ASSERT_TRUE(fs::exists(model)) << model << " (../shared/data) is missing";
  const std::string tok = "--tokenizer-type SentencePiece --tokenizer-name-or-path " + model;
  CliRun e = run_ascent("tokenize " + tok + " --text 'Hello world'");
  ASSERT_EQ(e.rc, 0) << e.out;
  EXPECT_EQ(e.out, "15043 3186\n");  // the LLaMA-2 ids of "▁Hello" and "▁world"
  CliRun d = run_ascent("tokenize " + tok + " --decode '[15043, 3186]'");
  ASSERT_EQ(d.rc, 0) << d.out;
  EXPECT_EQ(d.out, "Hello world\n");
  CliRun t =
      run_ascent("tokenizer encode --tokenizer-name-or-path " + model + " --text 'Hello world'");
  ASSERT_EQ(t.rc, 0) << t.out;
  EXPECT_EQ(t.out, "15043 3186\n");
  CliRun bad = run_ascent("tokenizer decode --tokenizer-name-or-path " + model + " --ids 15043,x");
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.out.find("--ids: 'x' is not a token id"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace ascent

namespace ascent {
namespace {

// Observability end to end: a run with --metrics-file and --tensorboard-dir prints elapsed time,
// ETA and a summary, saves floats as typed, and `ascent plot` draws its curves as SVG and PNG.
TEST(Cli, TrainObservabilityAndPlot) {
  const std::string dir = testing::scratch_dir("e2e_observe");
  const std::string prefix = testing::random_dataset(dir, 200, 512, 8);
  const std::string m = dir + "/m.jsonl";
  CliRun t = run_ascent("train --model tiny-gqa --data-path " + prefix +
                        " --split 80,10,10 --seq-length 32 --micro-batch-size 2"
                        " --global-batch-size 4 --train-iters 4 --eval-interval 2 --eval-iters 1"
                        " --log-interval 2 --adam-beta1 0.9 --save " +
                        dir + "/ckpt --metrics-file " + m + " --tensorboard-dir " + dir + "/tb");
  ASSERT_EQ(t.rc, 0) << t.out;
  EXPECT_NE(t.out.find("iteration      2/4      | elapsed 0:"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(" | ETA 0:"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(" test loss at iteration 4: "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(" training finished: iterations 1-4 in "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(" best validation loss "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(" TensorBoard events: " + dir + "/tb/events.out.tfevents."),
            std::string::npos)
      << t.out;
  std::ifstream cfg(dir + "/ckpt/run_config.json");
  const std::string cfg_text((std::istreambuf_iterator<char>(cfg)), {});
  EXPECT_NE(cfg_text.find("\"adam-beta1\": 0.9,"), std::string::npos) << cfg_text;

  for (const char* ext : {"svg", "png"}) {
    const std::string out = dir + "/curves." + ext;
    CliRun p = run_ascent("plot --metrics-file " + m + " --metrics-file " + m +
                          " --label first --label second -o " + out);
    ASSERT_EQ(p.rc, 0) << p.out;
    EXPECT_EQ(p.out, "wrote " + out + " (2 runs: loss, learning rate, grad norm, tokens/s)\n");
    EXPECT_GT(fs::file_size(out), 1000u);
  }
  std::ifstream svg(dir + "/curves.svg");
  const std::string svg_text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_NE(svg_text.find("data-series=\"second validation\""), std::string::npos);
  CliRun bad = run_ascent("plot --metrics-file " + m + " --label a --label b -o x.svg");
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.out.find("error: [plot] --label given 2 times for 1 --metrics-file"),
            std::string::npos)
      << bad.out;
  bad = run_ascent("plot --metrics-file " + dir + "/none.jsonl -o x.svg");
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.out.find("[plot] --metrics-file " + dir + "/none.jsonl: cannot open"),
            std::string::npos)
      << bad.out;
}

}  // namespace
}  // namespace ascent
