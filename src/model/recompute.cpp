#include "model/recompute.h"

#include <algorithm>

#include "core/error.h"

namespace ascent {

RecomputeMethod parse_recompute_method(const std::string& name) {
  if (name == "uniform") return RecomputeMethod::kUniform;
  if (name == "block") return RecomputeMethod::kBlock;
  throw error("[model] --recompute-method: '", name, "' is not one of uniform, block");
}

std::vector<LayerGroup> recompute_groups(const RecomputePolicy& policy, int64_t layers) {
  ASCENT_CHECK(policy.num_layers >= 1) << "recompute num_layers " << policy.num_layers;
  std::vector<LayerGroup> groups;
  if (policy.full && policy.method == RecomputeMethod::kUniform) {
    for (int64_t b = 0; b < layers; b += policy.num_layers)
      groups.push_back({b, std::min(b + policy.num_layers, layers), true});
    return groups;
  }
  const int64_t recomputed = policy.full ? std::min(policy.num_layers, layers) : 0;
  for (int64_t i = 0; i < layers; ++i) groups.push_back({i, i + 1, i < recomputed});
  return groups;
}

}  // namespace ascent
