// Encoder throughput of a tokenizer on one core (bench/run_tokenizer_bench.sh runs the HF
// `tokenizers` library on the same text next to it). The text is cut into ~4 KB documents at line
// ends, as preprocess feeds them; each pass encodes every document with Tokenizer::encode.
// Prints one JSON line: the first pass (cold word cache) and the best of the following passes.
//
//   tokenizer_bench --tokenizer-type T --tokenizer-name-or-path P --input FILE
//                   [--name NAME] [--repeat N] [--threads N]
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/timer.h"
#include "tokenizer/tokenizer.h"

namespace {

struct Args {
  std::string type = "PretrainedFromHF";
  std::string path;
  std::string input;
  std::string name;
  int repeat = 5;
  int threads = 1;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--tokenizer-type") {
      a.type = v;
    } else if (k == "--tokenizer-name-or-path") {
      a.path = v;
    } else if (k == "--input") {
      a.input = v;
    } else if (k == "--name") {
      a.name = v;
    } else if (k == "--repeat") {
      a.repeat = std::max(2, std::atoi(v.c_str()));
    } else if (k == "--threads") {
      a.threads = std::max(1, std::atoi(v.c_str()));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.path.empty() || a.input.empty()) {
    std::fprintf(stderr, "usage: tokenizer_bench --tokenizer-name-or-path P --input FILE\n");
    std::exit(2);
  }
  if (a.name.empty()) a.name = a.path;
  return a;
}

std::vector<std::string> documents(const std::string& text) {
  std::vector<std::string> docs;
  std::string cur;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    cur.append(text, pos, end - pos);
    pos = end;
    if (cur.size() >= 4096) docs.push_back(std::move(cur)), cur.clear();
  }
  if (!cur.empty()) docs.push_back(cur);
  return docs;
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    std::ifstream in(a.input, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + a.input);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const std::vector<std::string> docs = documents(text);

    ascent::Timer load_timer;
    const auto tok = ascent::tokenizer::load_tokenizer(a.type, a.path);
    const double load_s = load_timer.seconds();

    const auto n_docs = static_cast<int64_t>(docs.size());
    double first_s = 0, best_s = 1e30, best_cpu = 0;
    size_t tokens = 0;
    for (int r = 0; r < a.repeat; ++r) {
      const double cpu0 = cpu_seconds();
      ascent::Timer t;
      size_t n = 0;
#pragma omp parallel for num_threads(a.threads) schedule(dynamic, 4) reduction(+ : n)
      for (int64_t i = 0; i < n_docs; ++i) n += tok->encode(docs[i]).size();
      const double s = t.seconds(), cpu = cpu_seconds() - cpu0;
      tokens = n;
      if (r == 0) {
        first_s = s;
      } else if (s < best_s) {
        best_s = s;
        best_cpu = cpu;
      }
    }
    const double mb = static_cast<double>(text.size()) / 1e6;
    std::printf(
        "{\"peer\":\"ascent\",\"tokenizer\":\"%s\",\"threads\":%d,\"bytes\":%zu,\"tokens\":%zu,"
        "\"load_s\":%.3f,\"first_pass_mb_per_s\":%.2f,\"seconds\":%.4f,\"cpu_seconds\":%.4f,"
        "\"mb_per_s\":%.2f,\"tokens_per_s\":%.0f}\n",
        a.name.c_str(), a.threads, text.size(), tokens, load_s, mb / first_s, best_s, best_cpu,
        mb / best_s, static_cast<double>(tokens) / best_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
