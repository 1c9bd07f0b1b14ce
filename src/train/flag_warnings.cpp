#include "train/flag_warnings.h"

#include <fmt/format.h>

#include "model/config.h"

namespace ascent {
namespace {

// Each set flag of `names`: "<flag> has no effect <why>".
void unused(const TrainArgs& a, std::initializer_list<const char*> names, const std::string& why,
            std::vector<std::string>& out) {
  for (const char* flag : names)
    if (a.is_set(flag)) out.push_back(fmt::format("{} has no effect {}", flag, why));
}

void model_warnings(const TrainArgs& a, std::vector<std::string>& out) {
  if (!a.model.group_query_attention)
    unused(a, {"--num-query-groups"},
           "without --group-query-attention (query groups are set only together with it, as in "
           "Megatron)",
           out);
  if (!a.run.load.empty()) {
    unused(a, {"--init-method-std"}, "with --load: the weights come from " + a.run.load, out);
    return;
  }
  // Built from flags: a preset's position count below --seq-length is raised (given explicitly,
  // it is an error instead: ModelOverrides::resolve).
  if (a.model.is_set("--max-position-embeddings", a.given)) return;
  const int64_t preset = model_preset(a.model.preset).max_position_embeddings;
  if (preset < a.data.seq_length)
    out.push_back(fmt::format(
        "--max-position-embeddings raised from {} (--model {}) to --seq-length {}: the model "
        "would have no position past {}",
        preset, a.model.preset, a.data.seq_length, preset));
}

void run_warnings(const TrainArgs& a, const CheckpointInfo* loaded, std::vector<std::string>& out) {
  if (a.run.save.empty())
    unused(a, {"--save-interval"}, "without --save (no checkpoint directory)", out);
  if (a.run.load.empty()) unused(a, {"--finetune"}, "without --load (nothing to load)", out);
  if (loaded && !a.run.finetune && loaded->state.iteration >= a.run.train_iters)
    out.push_back(fmt::format(
        "--train-iters {}: the checkpoint loaded from {} is at iteration {} already, so there is "
        "nothing to train (raise --train-iters to go on, or --finetune to start over from its "
        "weights)",
        a.run.train_iters, a.run.load, loaded->state.iteration));
}

}  // namespace

std::vector<std::string> flag_warnings(const TrainArgs& a, const CheckpointInfo* loaded) {
  std::vector<std::string> out;
  model_warnings(a, out);
  if (!a.precision.fp16)
    unused(a,
           {"--loss-scale", "--initial-loss-scale", "--min-loss-scale", "--loss-scale-window",
            "--hysteresis"},
           "without --fp16 (only fp16 training scales the loss)", out);
  if (!a.data.is_instruction_dataset)
    unused(a, {"--variable-seq-lengths"},
           "without --is-instruction-dataset (pretraining rows are always --seq-length tokens)",
           out);
  if (a.optim.name == "sgd")
    unused(a, {"--adam-beta1", "--adam-beta2", "--adam-eps"}, "with --optimizer sgd", out);
  else
    unused(a, {"--sgd-momentum"}, "with --optimizer " + a.optim.name, out);
  run_warnings(a, loaded, out);
  return out;
}

}  // namespace ascent
