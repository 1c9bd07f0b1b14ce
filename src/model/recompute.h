#pragma once
// Activation recompute (Megatron's --recompute-granularity full): a recomputed group of layers
// keeps only its input between forward and backward; its stashes are dropped after the forward
// and rebuilt by running the group's forward again just before its backward. The second forward
// draws the same dropout masks (Philox keyed by seed, layer and row), so gradients are bit for
// bit those of a run without recompute; the cost is one more forward of the recomputed layers.
#include <cstdint>
#include <string>
#include <vector>

#include "core/flags.h"

namespace ascent {

enum class RecomputeMethod {
  kUniform,  // the layers in consecutive groups of num_layers, every group recomputed
  kBlock,    // the first num_layers layers recomputed one at a time, the rest stashed
};

struct RecomputePolicy {
  bool full = false;  // off: every layer keeps its stash
  RecomputeMethod method = RecomputeMethod::kUniform;
  int64_t num_layers = 1;
};

// "uniform" / "block"; throws "[model] --recompute-method: ..." otherwise.
RecomputeMethod parse_recompute_method(const std::string& name);

// The recompute flags of `ascent train`, Megatron's names; --checkpoint-activations and
// --checkpoint-num-layers are the older spelling of full / uniform / N.
struct RecomputeConfig {
  std::string granularity;  // --recompute-granularity: "", "full" or "selective"
  std::string method;       // --recompute-method: "uniform" or "block" (full only; default uniform)
  int64_t num_layers = 0;   // --recompute-num-layers; 0: 1
  bool checkpoint_activations = false;
  int64_t checkpoint_num_layers = 0;

  // The flags above, bound to this instance (core/flags.h). The older spelling is not saved:
  // after resolve() the recompute flags hold what it stands for.
  flags::Table flags();
  // Folds --checkpoint-activations into the recompute flags, fills the defaults of full
  // recompute and validates; throws "[train] --flag ..." (or parse_recompute_method's error).
  void resolve();
  // The policy of every model chunk (after resolve()).
  RecomputePolicy policy() const;
};

// Layers [begin, end) of one model chunk (indices within the chunk) run and recomputed together.
struct LayerGroup {
  int64_t begin = 0, end = 0;
  bool recompute = false;
};

// The groups covering a chunk of `layers` layers, in order. Without recompute: one group per
// layer, none recomputed. num_layers must be >= 1 (uniform: the last group may be shorter; block:
// at most `layers` are recomputed).
std::vector<LayerGroup> recompute_groups(const RecomputePolicy& policy, int64_t layers);

}  // namespace ascent
