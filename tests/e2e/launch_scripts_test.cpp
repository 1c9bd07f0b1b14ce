// AscendSpeed's example launch scripts (tests/e2e/launch_scripts/, paths and sizes tiny) parse
// and train unchanged; each flag that changes nothing here prints its note once; the `ascent`
// binary's own words: --version, env, unknown commands and options.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "../train/train_test_util.h"

namespace fs = std::filesystem;

namespace ascent {
namespace {

struct ShellRun {
  int rc;
  std::string out;
};

ShellRun run_shell(const std::string& cmd) {
  ShellRun r{0, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  r.rc = pclose(p);
  return r;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// A scratch WORK directory with the data and the tokenizer directory the scripts name.
std::string make_work_dir(const std::string& name) {
  const std::string dir = testing::scratch_dir(name);
  const fs::path prefix = testing::random_dataset(dir, 80, 32000, 5);
  fs::rename(prefix.string() + ".bin", dir + "/data_text_document.bin");
  fs::rename(prefix.string() + ".idx", dir + "/data_text_document.idx");
  const fs::path model =
      fs::path(ASCENT_SOURCE_DIR) / "../shared/data/tokenizers/llama2/tokenizer.model";
  EXPECT_TRUE(fs::exists(model)) << model << " (../shared/data) is missing";
  fs::create_directories(dir + "/tokenizer");
  fs::copy_file(model, dir + "/tokenizer/tokenizer.model");
  return dir;
}

ShellRun run_script(const std::string& script, const std::string& work, int iters) {
  return run_shell("ASCENT=" + std::string(ASCENT_BINARY_DIR) + "/ascent WORK=" + work +
                   " ITERS=" + std::to_string(iters) + " OMP_NUM_THREADS=1 bash " +
                   ASCENT_SOURCE_DIR + "/tests/e2e/launch_scripts/" + script);
}

void expect_trained(const ShellRun& r, int iters) {
  ASSERT_EQ(r.rc, 0) << r.out;
  const std::string last = std::to_string(iters) + "/" + std::to_string(iters);
  EXPECT_NE(r.out.find("iteration      " + last), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("error"), std::string::npos) << r.out;
}

TEST(LaunchScripts, Llama7BZero) {
  const std::string work = make_work_dir("launch_llama_7b_zero");
  const ShellRun r = run_script("pretrain_llama_7B_zero.sh", work, 2);
  expect_trained(r, 2);
  EXPECT_EQ(count(r.out, "[train] --deepspeed_config: no effect here: the DeepSpeed JSON"), 1u)
      << r.out;
  EXPECT_EQ(count(r.out, "[train] --DDP-impl: no effect here"), 1u) << r.out;
  EXPECT_NE(r.out.find("ZeRO stage 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("activation recompute: full"), std::string::npos) << r.out;
}

// ShellRun twice on one directory: the first starts from scratch (--load is --save and empty), the
// second resumes the weights with a fresh optimizer (--no-load-optim).
TEST(LaunchScripts, Llama2_7BPtdThenResumeWithoutOptimizer) {
  const std::string work = make_work_dir("launch_llama2_7b_ptd");
  const ShellRun first = run_script("pretrain_llama2_7b_ptd.sh", work, 2);
  expect_trained(first, 2);
  EXPECT_NE(first.out.find("; starting from scratch"), std::string::npos) << first.out;
  EXPECT_EQ(count(first.out, "[train] --use-flash-attn: no effect here"), 1u) << first.out;
  EXPECT_EQ(count(first.out, "[train] --sequence-parallel: no effect with "), 1u) << first.out;
  const ShellRun second = run_script("pretrain_llama2_7b_ptd.sh", work, 3);
  expect_trained(second, 3);
  EXPECT_NE(second.out.find("(iteration 2, written by a TP1 PP1 DP1 job), no optimizer state"),
            std::string::npos)
      << second.out;
  EXPECT_EQ(count(second.out, "iteration      "), 1u) << "only iteration 3 runs:\n" << second.out;
}

TEST(LaunchScripts, Bloom7BPtd) {
  const std::string work = make_work_dir("launch_bloom_7b_ptd");
  const ShellRun r = run_script("pretrain_bloom_7b_ptd.sh", work, 2);  // --train-samples 8
  expect_trained(r, 2);
  EXPECT_EQ(count(r.out, "[train] --rampup-batch-size: ignored: "), 1u) << r.out;
  EXPECT_EQ(count(r.out, "[train] --pad-vocab-size-to: no effect here"), 1u) << r.out;
  const nlohmann::json cfg = nlohmann::json::parse(std::ifstream(work + "/ckpt/run_config.json"));
  EXPECT_EQ(cfg["train-iters"], 2);
  EXPECT_EQ(cfg["lr-warmup-samples"], 1000);  // written 1_000, as Python reads it
  EXPECT_EQ(cfg["no-add-gate"], true);
  EXPECT_EQ(cfg["position-embedding-type"], "alibi");
}

TEST(LaunchScripts, Baichuan13BPtd) {
  const std::string work = make_work_dir("launch_baichuan_13b_ptd");
  const ShellRun r = run_script("pretrain_baichuan_ptd_13B.sh", work, 2);
  expect_trained(r, 2);
  EXPECT_NE(r.out.find("loss scale 8188"), std::string::npos) << r.out;
}

TEST(AscentWords, VersionEnvAndUnknownNames) {
  const std::string ascent = std::string(ASCENT_BINARY_DIR) + "/ascent";
  for (const char* v : {" --version", " version"}) {
    const ShellRun r = run_shell(ascent + v);
    EXPECT_EQ(r.rc, 0) << r.out;
    for (const char* part :
         {"ascent 0.", "commit   ", "build    ", "oneDNN   ", "MPI      ", "CPU code "})
      EXPECT_NE(r.out.find(part), std::string::npos) << part << " not in:\n" << r.out;
  }
  const ShellRun env = run_shell("OMP_NUM_THREADS=3 ASCENT_BACKEND=cpu " + ascent + " env");
  EXPECT_EQ(env.rc, 0) << env.out;
  for (const char* part :
       {"OS       Linux", "threads  ", "\n  OMP_NUM_THREADS=3", "\n  ASCENT_BACKEND=cpu"})
    EXPECT_NE(env.out.find(part), std::string::npos) << part << " not in:\n" << env.out;
  ShellRun r = run_shell(ascent + " trian --lr 1");
  EXPECT_NE(r.rc, 0);
  EXPECT_EQ(r.out, "error: unknown command 'trian' (did you mean 'train'?)\n");
  r = run_shell(ascent + " train --lora-target-modules query_key_value dense --lora-r 16");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("[train] --lora-target-modules: LoRA fine-tuning is not supported yet"),
            std::string::npos)
      << r.out;
  r = run_shell(ascent + " train --data-path x --seq-lenght 8");
  EXPECT_NE(r.rc, 0);
  EXPECT_EQ(r.out, "error: [train] unknown option --seq-lenght (did you mean --seq-length?)\n");
}

}  // namespace
}  // namespace ascent
