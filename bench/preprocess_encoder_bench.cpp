// The bare encoder on the documents of a JSONL corpus: the ceiling `ascent preprocess` is measured
// against (bench/preprocess_bench.sh). Texts are read and parsed before the clock starts; then
// `--threads` threads encode them (each a contiguous share) exactly as the pretraining handler
// does, and the tokens per second are printed as one JSON line.
//
//   preprocess_encoder_bench --input CORPUS.jsonl --tokenizer-name-or-path M [--tokenizer-type T]
//                            [--threads N] [--key text]
#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/timer.h"
#include "preprocess/text_encoder.h"
#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  CLI::App app("bare tokenizer throughput on a JSONL corpus");
  std::string input, path, type = "SentencePiece", key = "text";
  int threads = 1;
  app.add_option("--input", input)->required();
  app.add_option("--tokenizer-name-or-path", path)->required();
  app.add_option("--tokenizer-type", type);
  app.add_option("--threads", threads);
  app.add_option("--key", key);
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> texts;
  int64_t bytes = 0;
  {
    std::ifstream in(input, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      texts.push_back(nlohmann::json::parse(line).at(key).get<std::string>());
      bytes += static_cast<int64_t>(line.size()) + 1;
    }
  }
  const auto tok = ascent::tokenizer::load_tokenizer(type, path);
  const ascent::preprocess::TextEncoder enc(*tok, type);

  std::atomic<int64_t> tokens{0};
  const ascent::Timer timer;
  std::vector<std::thread> pool;
  const size_t n = texts.size();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      int64_t mine = 0;
      for (size_t i = n * t / threads; i < n * (t + 1) / threads; ++i)
        mine += static_cast<int64_t>(enc.document(texts[i]).size());
      tokens += mine;
    });
  }
  for (auto& th : pool) th.join();
  const double s = timer.seconds();
  std::printf(
      "{\"bench\": \"bare_encoder\", \"threads\": %d, \"documents\": %zu, \"bytes\": %lld, "
      "\"tokens\": %lld, \"seconds\": %.3f, \"tokens_per_s\": %.0f, \"mb_per_s\": %.3f}\n",
      threads, n, static_cast<long long>(bytes), static_cast<long long>(tokens.load()), s,
      static_cast<double>(tokens.load()) / s, static_cast<double>(bytes) / s / 1e6);
  return 0;
}
