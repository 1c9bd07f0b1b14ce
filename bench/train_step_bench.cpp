// One full training step (forward, backward, gradient-norm clipping, AdamW) of reference config R1 (DESIGN.md section 8):
// LLaMA hidden 288, 6 layers, 6 heads, FFN 768, vocab 32000, seq 256, micro-batch 8.
// Prints one JSON line per dtype with the median step time, tokens/s and model GFLOP/s.
//
//   train_step_bench [--steps N] [--dtype f32|bf16|f16|both] [--model PRESET] [--batch B] [--seq T]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/timer.h"
#include "model/config.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "optim/adamw.h"
#include "optim/grad_clip.h"

using namespace ascent;

namespace {

struct Args {
  int steps = 5;
  std::string dtype = "both";
  std::string model = "r1";
  int64_t B = 8, T = 256;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--steps") a.steps = std::atoi(v.c_str());
    else if (k == "--dtype") a.dtype = v;
    else if (k == "--model") a.model = v;
    else if (k == "--batch") a.B = std::atoll(v.c_str());
    else if (k == "--seq") a.T = std::atoll(v.c_str());
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

void run(const Args& a, DType dtype) {
  ModelConfig cfg = model_preset(a.model);
  ModelWeights weights(cfg, dtype);
  weights.init_random(1234);
  Transformer model(weights);
  OptimConfig oc;
  oc.beta2 = 0.95f;
  oc.weight_decay = 0.1f;
  AdamW opt(weights, oc);

  const int64_t N = a.B * a.T;
  std::vector<int32_t> tokens(N + 1);
  Rng rng(42, 7);
  for (int64_t i = 0; i <= N; ++i)
    tokens[i] = static_cast<int32_t>(rng.uniform(i) * static_cast<float>(cfg.vocab_size));
  std::vector<int32_t> inputs(tokens.begin(), tokens.begin() + N);
  std::vector<int32_t> targets(tokens.begin() + 1, tokens.end());
  MicroBatch mb{a.B, a.T, inputs.data(), targets.data(), nullptr};

  std::vector<double> times;
  double loss = 0;
  for (int s = 0; s < a.steps + 2; ++s) {
    Timer t;
    weights.zero_grad();
    LossSum l = model.forward_backward(mb, 1.0f / static_cast<float>(N));
    const double norm = global_grad_norm(weights.grad(), static_cast<size_t>(weights.size()));
    opt.step(weights, 1e-4f, clip_coefficient(norm, 1.0f));
    double sec = t.seconds();
    loss = l.mean();
    if (s >= 2) times.push_back(sec);  // two warm-up steps (primitive creation, page faults)
  }
  std::sort(times.begin(), times.end());
  const double step_s = times[times.size() / 2];
  const double tok_s = static_cast<double>(N) / step_s;
  const double gflops = cfg.flops_per_token(a.T) * tok_s / 1e9;
  std::printf(
      "{\"peer\":\"ascent\",\"dtype\":\"%s\",\"model\":\"%s\",\"tokens_per_step\":%lld,"
      "\"step_s\":%.4f,\"tokens_per_s\":%.1f,\"gflops\":%.1f,\"loss\":%.4f,"
      "\"activation_mb\":%.1f}\n",
      dtype_name(dtype), a.model.c_str(), static_cast<long long>(N), step_s, tok_s, gflops, loss,
      static_cast<double>(model.activation_bytes_peak()) / 1048576.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    if (a.dtype == "f32" || a.dtype == "both") run(a, DType::F32);
    if (a.dtype == "bf16" || a.dtype == "both") run(a, DType::BF16);
    if (a.dtype == "f16") run(a, DType::F16);  // operands only: the bench applies no loss scale
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
