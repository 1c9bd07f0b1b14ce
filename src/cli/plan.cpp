// `ascent plan`: the architecture and parameter count of a model preset, and the bytes one
// process needs for weights, gradients and AdamW state.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/flag_registration.h"
#include "model/config.h"
#include "model/model_overrides.h"
#include "model/params.h"
#include "optim/precision.h"

namespace ascent::cli {
namespace {

struct PlanArgs {
  ModelOverrides model;  // only --model: the preset
  Precision precision;   // --bf16 / --fp16
  bool list = false;
};

std::string human(double n) {
  const char* unit[] = {"", "K", "M", "B", "T"};
  int u = 0;
  while (n >= 1000.0 && u < 4) {
    n /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%s", n, unit[u]);
  return buf;
}

void print_plan(const PlanArgs& a) {
  if (a.list) {
    for (const std::string& name : model_preset_names()) {
      ModelConfig c = model_preset(name);
      std::printf("%-16s %18lld  (%s)\n", name.c_str(), static_cast<long long>(c.num_params()),
                  human(static_cast<double>(c.num_params())).c_str());
    }
    return;
  }
  ModelConfig c = model_preset(a.model.preset);
  const int64_t n = c.num_params();
  std::printf("model          %s (%s)\n", c.name.c_str(), hf_arch_name(c.hf_arch));
  std::printf("layers %lld, hidden %lld, ffn %lld, heads %lld, kv groups %lld, vocab %lld\n",
              static_cast<long long>(c.num_layers), static_cast<long long>(c.hidden_size),
              static_cast<long long>(c.ffn_hidden_size),
              static_cast<long long>(c.num_attention_heads),
              static_cast<long long>(c.num_query_groups), static_cast<long long>(c.vocab_size));
  std::printf("position %s, norm %s (eps %g), mlp %s, tied %s\n", position_type_name(c.position),
              norm_type_name(c.norm), static_cast<double>(c.norm_eps), mlp_type_name(c.mlp),
              c.tied_embeddings ? "yes" : "no");
  std::printf("parameters     %lld (%s)\n", static_cast<long long>(n),
              human(static_cast<double>(n)).c_str());
  // f32 master + f32 grads + two f32 moments (+ bf16 / f16 compute copy).
  const bool mixed = a.precision.bf16 || a.precision.fp16;
  const double bytes = static_cast<double>(n) * (16.0 + (mixed ? 2.0 : 0.0));
  std::printf("weights+grads+adam  %.2f GiB per process (%s)\n", bytes / (1 << 30),
              a.precision.bf16   ? "bf16 mixed precision"
              : a.precision.fp16 ? "fp16 mixed precision"
                                 : "f32");
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand("plan", "parameter count and memory of a model preset");
  add_flags(*cmd,
            args->model.flags().only({"--model"}).set_help("--model", "model preset (see --list)"));
  add_flags(*cmd, args->precision.flags()
                      .set_help("--bf16", "bf16 mixed precision")
                      .set_help("--fp16", "fp16 mixed precision"));
  cmd->add_flag("--list", args->list, "list every preset with its parameter count");
  cmd->callback([args] { print_plan(*args); });
}

}  // namespace ascent::cli
