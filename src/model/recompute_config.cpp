#include "core/error.h"
#include "model/recompute.h"

namespace ascent {

flags::Table RecomputeConfig::flags() {
  flags::Table t("train");
  t.add("--recompute-granularity", granularity,
        "full: drop layers' activations after the forward and recompute them in the "
        "backward; selective: accepted, attention scores are never stored anyway (empty: no "
        "recompute)");
  t.add("--recompute-method", method,
        "with full: uniform (groups of --recompute-num-layers layers) or block (the first "
        "--recompute-num-layers layers of each stage); empty: uniform");
  t.add("--recompute-num-layers", num_layers,
        "layers per group (uniform) or "
        "recomputed layers per stage (block); default 1");
  t.add("--checkpoint-activations", checkpoint_activations,
        "= --recompute-granularity full --recompute-method uniform")
      .not_saved();
  t.add("--checkpoint-num-layers", checkpoint_num_layers,
        "with --checkpoint-activations: = --recompute-num-layers")
      .not_saved();
  return t;
}

void RecomputeConfig::resolve() {
  if (checkpoint_activations) {
    if (!granularity.empty() && granularity != "full")
      throw error("[train] --checkpoint-activations means --recompute-granularity full, not '",
                  granularity, "'");
    if (checkpoint_num_layers != 0 && num_layers != 0 && checkpoint_num_layers != num_layers)
      throw error("[train] --checkpoint-num-layers ", checkpoint_num_layers,
                  " and --recompute-num-layers ", num_layers, " disagree");
    granularity = "full";
    if (num_layers == 0) num_layers = checkpoint_num_layers;
  } else if (checkpoint_num_layers != 0) {
    throw error("[train] --checkpoint-num-layers needs --checkpoint-activations");
  }
  if (!granularity.empty() && granularity != "full" && granularity != "selective")
    throw error("[train] --recompute-granularity '", granularity, "': expected full or selective");
  const bool full = granularity == "full";
  if (!full && (!method.empty() || num_layers != 0))
    throw error(
        "[train] --recompute-method and --recompute-num-layers need "
        "--recompute-granularity full");
  if (num_layers < 0) throw error("[train] --recompute-num-layers must be >= 1");
  if (full) {
    if (method.empty()) method = "uniform";
    if (num_layers == 0) num_layers = 1;
    parse_recompute_method(method);  // throws naming the flag
  }
}

RecomputePolicy RecomputeConfig::policy() const {
  RecomputePolicy p;
  p.full = granularity == "full";
  if (p.full) {
    p.method = parse_recompute_method(method);
    p.num_layers = num_layers;
  }
  return p;
}

}  // namespace ascent
