#include "cli/demo.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "checkpoint/ascent_checkpoint.h"
#include "cli/demo_corpus.h"
#include "core/log.h"
#include "core/timer.h"
#include "data/indexed_dataset.h"
#include "inference/generate.h"
#include "plot/figure_file.h"
#include "plot/metrics_file.h"
#include "preprocess/pipeline.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/trainer.h"

namespace fs = std::filesystem;

namespace ascent::cli {
namespace {

// Writes the corpus as plain text (tokenizer training) and as JSON lines with one speech per
// document (speeches are separated by blank lines in the play text).
void write_corpus(const fs::path& dir) {
  const std::string_view text = demo_corpus();
  std::ofstream(dir / "tinyshakespeare.txt", std::ios::binary) << text;
  std::ofstream out(dir / "corpus.jsonl", std::ios::binary);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string speech(text.substr(start, end - start));
    speech += "\n\n";
    out << nlohmann::json({{"text", speech}}).dump() << "\n";
    start = end + 2;
  }
}

// Entropy (nats per token) of the unigram distribution of the tokens: what a model that ignores
// context can reach at best.
double unigram_entropy(const std::string& prefix) {
  data::IndexedDataset ds(prefix);
  std::map<int32_t, int64_t> counts;
  std::vector<int32_t> buf;
  int64_t total = 0;
  for (int64_t i = 0; i < ds.num_sequences(); ++i) {
    buf.resize(static_cast<size_t>(ds.sequence_length(i)));
    ds.read(i, 0, ds.sequence_length(i), buf.data());
    for (int32_t t : buf) ++counts[t];
    total += ds.sequence_length(i);
  }
  double h = 0;
  for (const auto& [t, n] : counts) {
    const double p = static_cast<double>(n) / static_cast<double>(total);
    h -= p * std::log(p);
  }
  return h;
}

// Loads the checkpoint just saved and continues a few prompts.
void print_demo_samples(const std::string& checkpoint, const std::string& tokenizer_path) {
  const CheckpointInfo ckpt = open_checkpoint(checkpoint);
  ModelWeights weights(ckpt.config, DType::F32);
  load_checkpoint(ckpt, weights, nullptr);
  auto tok = tokenizer::load_tokenizer("SentencePiece", tokenizer_path);
  inference::Decoder decoder(weights);
  const std::vector<std::string> prompts = {"ROMEO:\n", "First Citizen:\n", "KING HENRY VI:\n"};
  std::vector<std::vector<int32_t>> ids;
  for (const std::string& p : prompts) {
    std::vector<int32_t> t = tok->encode(p);
    if (tok->bos_id() >= 0) t.insert(t.begin(), tok->bos_id());
    ids.push_back(std::move(t));
  }
  inference::GenerateOptions g;
  g.max_new_tokens = 120;
  g.eos_id = tok->eos_id();
  g.sampling.temperature = 0.8f;
  g.sampling.top_k = 40;
  g.sampling.seed = 7;
  const auto out = inference::generate(decoder, ids, g);
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::printf("----- sample %zu\n%s%s\n", i + 1, prompts[i].c_str(), tok->decode(out[i]).c_str());
  }
  std::printf("-----\n");
  std::fflush(stdout);
}

}  // namespace

void run_demo(const DemoOptions& opts) {
  Timer total;
  const fs::path dir(opts.work_dir);
  fs::create_directories(dir);
  ASCENT_LOG_INFO("ascent demo: tiny Shakespeare ({} bytes, embedded) -> {}", demo_corpus().size(),
                  dir.string());
  write_corpus(dir);

  ASCENT_LOG_INFO("[1/4] training a {}-token BPE tokenizer", opts.vocab_size);
  tokenizer::TrainOptions tok;
  tok.input = (dir / "tinyshakespeare.txt").string();
  tok.output_prefix = (dir / "tokenizer").string();
  tok.vocab_size = static_cast<int>(opts.vocab_size);
  tok.model_type = "bpe";
  // Keep line breaks: verse without them is not Shakespeare.
  tok.byte_fallback = true;
  tok.normalization = "identity";
  tok.remove_extra_whitespaces = false;
  tokenizer::train_sentencepiece(tok);
  const std::string tok_path = tok.output_prefix + ".model";

  ASCENT_LOG_INFO("[2/4] preprocessing into Megatron .bin/.idx");
  preprocess::PreprocessOptions pre;
  pre.input = (dir / "corpus.jsonl").string();
  pre.tokenizer_path = tok_path;
  pre.output_prefix = (dir / "shakespeare").string();
  pre.append_eod = true;
  const preprocess::PreprocessStats ps = preprocess::run_preprocess(pre);
  const std::string data_prefix = ps.outputs.at(0);
  const double baseline = unigram_entropy(data_prefix);
  ASCENT_LOG_INFO("      {} documents, {} tokens; unigram baseline loss {:.3f}", ps.documents,
                  ps.tokens, baseline);

  ASCENT_LOG_INFO("[3/4] training a small LLaMA");
  TrainArgs a;
  a.model.preset = "tiny-llama";
  a.data.tokenizer_name_or_path = tok_path;
  a.data.data_path = {data_prefix};
  a.data.split = "95,5,0";
  a.data.seq_length = 256;
  a.data.micro_batch_size = 8;
  a.run.train_iters = opts.train_iters;
  a.lr.lr = 2e-3f;
  a.lr.min_lr = 2e-4f;
  a.lr.decay_style = "cosine";
  a.lr.warmup_iters = 20;
  a.optim.beta2 = 0.95f;
  a.optim.weight_decay = 0.1f;
  a.optim.clip_grad = 1.0f;
  a.run.eval_interval = 100;
  a.run.eval_iters = 4;
  a.run.log_interval = 10;
  a.run.save = (dir / "checkpoints").string();
  a.run.metrics_file = (dir / "metrics.jsonl").string();
  a.run.tensorboard_dir = (dir / "tensorboard").string();
  a.run.log_timers_to_tensorboard = true;
  fs::remove(a.run.metrics_file);
  fs::remove_all(a.run.save);
  fs::remove_all(a.run.tensorboard_dir);
  run_training(a);
  ASCENT_LOG_INFO("      (unigram baseline {:.3f}; a model that learned nothing scores {:.3f})",
                  baseline, std::log(static_cast<double>(opts.vocab_size)));
  // The curves, as `ascent plot --metrics-file runs/demo/metrics.jsonl -o ...` draws them.
  const std::vector<plot::Run> runs = {plot::read_metrics_file(a.run.metrics_file, "demo")};
  for (const char* name : {"curves.svg", "curves.png"})
    plot::write_figure(runs, (dir / name).string());
  ASCENT_LOG_INFO("      metrics {}; curves {} and {}; TensorBoard: tensorboard --logdir {}",
                  a.run.metrics_file, (dir / "curves.svg").string(), (dir / "curves.png").string(),
                  a.run.tensorboard_dir);

  ASCENT_LOG_INFO("[4/4] samples");
  print_demo_samples(a.run.save, tok_path);
  ASCENT_LOG_INFO("demo finished in {:.0f} s; checkpoint in {}", total.seconds(), a.run.save);
}

}  // namespace ascent::cli
