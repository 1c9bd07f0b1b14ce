// `ascent generate`: continue prompts with a model loaded from an HF directory or an ascent
// checkpoint, greedy or sampled, with a KV cache. Prints each prompt and its continuation to
// stdout and the throughput to stderr. Without a tokenizer, prompts and continuations are token
// ids ("1 2 3").
#include "inference/generate.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/hf_config.h"
#include "cli/commands.h"
#include "cli/flag_registration.h"
#include "cli/token_ids.h"
#include "core/error.h"
#include "core/log.h"
#include "core/timer.h"
#include "optim/precision.h"
#include "tokenizer/tokenizer.h"

namespace ascent::cli {
namespace {

struct GenerateArgs {
  std::string load;
  std::string tokenizer_type = "SentencePiece";
  std::string tokenizer_path;
  std::vector<std::string> prompts;
  std::string prompts_file;
  int64_t max_new_tokens = 64;
  int64_t batch = 8;
  int64_t eos_id = -2;  // -2: the tokenizer's EOS; -1: none
  bool no_bos = false;
  Precision precision;  // --bf16 / --fp16
  inference::sampling::Options sampling;
};

std::unique_ptr<ModelWeights> load_model(const GenerateArgs& a) {
  namespace fs = std::filesystem;
  const DType compute = a.precision.compute_dtype();
  if (is_ascent_checkpoint(a.load)) {
    const CheckpointInfo ckpt = open_checkpoint(a.load);
    auto w = std::make_unique<ModelWeights>(ckpt.config, compute);
    load_checkpoint(ckpt, *w, nullptr);
    return w;
  }
  if (!fs::exists(fs::path(a.load) / "config.json"))
    throw error("[generate] --load ", a.load,
                ": neither an HF model directory (config.json) nor an ascent checkpoint");
  const ModelConfig cfg = read_hf_config(a.load);
  auto w = std::make_unique<ModelWeights>(cfg, compute);
  load_hf_weights(a.load, cfg, w->layout(), w->master());
  w->refresh_compute();
  return w;
}

std::vector<std::string> read_prompts(const GenerateArgs& a) {
  std::vector<std::string> prompts = a.prompts;
  if (!a.prompts_file.empty()) {
    std::ifstream in(a.prompts_file);
    if (!in) throw error("[generate] --prompts-file ", a.prompts_file, ": cannot open");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) prompts.push_back(line);
    }
  }
  if (prompts.empty()) throw error("[generate] no prompt: pass --prompt or --prompts-file");
  return prompts;
}

// Prompts without a tokenizer are token ids: "1 2 3" or "1,2,3".
std::vector<int32_t> prompt_ids(const std::string& text) {
  const std::string what =
      "prompt '" + text + "' (without --tokenizer-name-or-path prompts are token ids)";
  std::vector<int32_t> ids = parse_token_ids(text, what);
  for (const int32_t id : ids)
    if (id < 0) throw error("[generate] ", what, ": ", id, " is not a token id");
  return ids;
}

// A continuation shorter than --max-new-tokens that did not end in EOS ran into the model's
// position limit (generate() stops there silently): say so once, naming the prompts.
void warn_position_limit(const std::vector<std::vector<int32_t>>& prompts,
                         const std::vector<std::vector<int32_t>>& out, int64_t max_new_tokens,
                         int64_t limit, int64_t max_position_embeddings) {
  std::string which;
  int64_t count = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    // The last sampled token is never fed back, so a sequence may end one past the limit.
    const int64_t budget = limit - static_cast<int64_t>(prompts[i].size()) + 1;
    if (budget >= max_new_tokens || static_cast<int64_t>(out[i].size()) < budget) continue;
    if (count++ < 8)
      which += fmt::format("{}{} ({} new tokens)", which.empty() ? "" : ", ", i, out[i].size());
  }
  if (count == 0) return;
  ASCENT_LOG_WARN(
      "[generate] {} of {} prompts stopped at the model's position limit "
      "(max_position_embeddings {}) before --max-new-tokens {}: prompt {}{}",
      count, prompts.size(), max_position_embeddings, max_new_tokens, which,
      count > 8 ? ", ..." : "");
}

void run_generate(const GenerateArgs& a) {
  inference::sampling::validate(a.sampling);
  a.precision.validate("generate");
  const std::vector<std::string> texts = read_prompts(a);
  std::unique_ptr<tokenizer::Tokenizer> tok;
  if (!a.tokenizer_path.empty())
    tok = tokenizer::load_tokenizer(a.tokenizer_type, a.tokenizer_path);
  std::vector<std::vector<int32_t>> prompts;
  for (const std::string& t : texts) {
    std::vector<int32_t> ids;
    if (tok && !a.no_bos && tok->bos_id() >= 0) ids.push_back(tok->bos_id());
    const std::vector<int32_t> body = tok ? tok->encode(t) : prompt_ids(t);
    ids.insert(ids.end(), body.begin(), body.end());
    prompts.push_back(std::move(ids));
  }

  const Timer load_timer;
  std::unique_ptr<ModelWeights> w = load_model(a);
  const ModelConfig& cfg = w->config();
  if (tok && tok->vocab_size() > cfg.vocab_size)
    throw error("[generate] the tokenizer has ", tok->vocab_size(), " tokens, the model only ",
                cfg.vocab_size);
  std::fprintf(stderr, "loaded %s (%s, %lld parameters, %s) in %.1f s\n", a.load.c_str(),
               hf_arch_name(cfg.hf_arch), static_cast<long long>(cfg.num_params()),
               a.precision.bf16   ? "bf16"
               : a.precision.fp16 ? "f16"
                                  : "f32",
               load_timer.seconds());

  inference::GenerateOptions o;
  o.max_new_tokens = a.max_new_tokens;
  o.max_batch = a.batch;
  o.sampling = a.sampling;
  if (tok) o.sample_vocab = tok->vocab_size();
  o.eos_id = a.eos_id >= -1 ? static_cast<int32_t>(a.eos_id) : (tok ? tok->eos_id() : -1);
  inference::Decoder decoder(*w);
  inference::GenerateStats st;
  const auto out = inference::generate(decoder, prompts, o, &st);
  warn_position_limit(prompts, out, o.max_new_tokens, decoder.max_positions(),
                      cfg.max_position_embeddings);

  for (size_t i = 0; i < texts.size(); ++i) {
    std::printf("[%zu] prompt: %s\n", i, texts[i].c_str());
    const std::string cont = tok ? tok->decode(out[i]) : format_token_ids(out[i]);
    std::printf("[%zu] output: %s\n", i, cont.c_str());
  }
  std::fflush(stdout);
  const auto rate = [](double n, double s) { return s > 0 ? n / s : 0.0; };
  const double decoded = static_cast<double>(st.new_tokens - static_cast<int64_t>(prompts.size()));
  std::fprintf(stderr,
               "prefill: %lld tokens in %.3f s (%.1f tokens/s); decode: %lld tokens in %.3f s "
               "(%.1f tokens/s)\n",
               static_cast<long long>(st.prompt_tokens), st.prefill_seconds,
               rate(static_cast<double>(st.prompt_tokens), st.prefill_seconds),
               static_cast<long long>(decoded > 0 ? decoded : 0), st.decode_seconds,
               rate(decoded > 0 ? decoded : 0, st.decode_seconds));
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "continue prompts with a model (KV cache)");
  cmd->add_option("--load", a->load,
                  "HF model directory (config.json + safetensors) or ascent "
                  "checkpoint")
      ->required();
  cmd->add_option("--tokenizer-name-or-path", a->tokenizer_path,
                  "SentencePiece .model (or its directory); without it prompts are token ids");
  cmd->add_option("--tokenizer-type", a->tokenizer_type, "tokenizer kind")
      ->check(CLI::IsMember({"SentencePiece", "SentencePieceTokenizer"}))
      ->capture_default_str();
  cmd->add_option("--prompt", a->prompts, "prompt text (repeatable)");
  cmd->add_option("--prompts-file", a->prompts_file, "one prompt per line (blank lines skipped)");
  cmd->add_option("--max-new-tokens", a->max_new_tokens, "tokens to generate per prompt at most")
      ->capture_default_str();
  cmd->add_option("--temperature", a->sampling.temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", a->sampling.top_k, "sample among the k most likely (0 = all)")
      ->capture_default_str();
  cmd->add_option("--top-p", a->sampling.top_p, "nucleus: smallest set with probability >= p")
      ->capture_default_str();
  cmd->add_option("--repetition-penalty", a->sampling.repetition_penalty, "1 = off")
      ->capture_default_str();
  cmd->add_option("--seed", a->sampling.seed, "sampling seed")->capture_default_str();
  cmd->add_option("--batch-size", a->batch, "prompts decoded together")->capture_default_str();
  cmd->add_option("--eos-id", a->eos_id, "stop token (default: the tokenizer's EOS; -1: none)");
  cmd->add_flag("--no-bos", a->no_bos, "do not start prompts with the tokenizer's BOS");
  add_flags(*cmd, a->precision.flags()
                      .set_help("--bf16", "bf16 matmul operands (f32 accumulation)")
                      .set_help("--fp16", "f16 matmul operands (f32 accumulation)"));
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace ascent::cli
