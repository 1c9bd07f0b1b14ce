#include "model/shard_copy.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace ascent {

ParamSpec global_spec(const ParamSpec& s) {
  ParamSpec g = s;
  g.shape = s.global_shape;
  g.numel = s.global_numel();
  g.offset = 0;
  g.split_offset = 0;
  return g;
}

int64_t copy_overlap(const ParamSpec& a, const float* src, const ParamSpec& b, float* dst) {
  ASCENT_CHECK(a.name == b.name && a.global_shape == b.global_shape && a.split_dim == b.split_dim)
      << "copy_overlap between different tensors " << a.name << " and " << b.name;
  if (a.split_dim < 0) {
    ASCENT_CHECK(a.shape == b.shape) << "replicated tensor " << a.name << " with two shapes";
    std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(a.numel));
    return a.shape.empty() ? 1 : a.shape[0];
  }
  const int64_t lo = std::max(a.split_offset, b.split_offset);
  const int64_t hi = std::min(a.split_offset + a.valid_extent(), b.split_offset + b.valid_extent());
  if (hi <= lo) return 0;
  const int64_t n = hi - lo;
  if (a.split_dim == 0) {
    const int64_t row = a.shape[0] ? a.numel / a.shape[0] : 0;
    std::memcpy(dst + (lo - b.split_offset) * row, src + (lo - a.split_offset) * row,
                sizeof(float) * static_cast<size_t>(n * row));
    return n;
  }
  ASCENT_CHECK(a.split_dim == 1 && a.shape.size() == 2) << "split of " << a.name;
  const int64_t rows = a.shape[0], ls = a.shape[1], ld = b.shape[1];
  const float* s = src + (lo - a.split_offset);
  float* d = dst + (lo - b.split_offset);
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(d + r * ld, s + r * ls, sizeof(float) * static_cast<size_t>(n));
  return n;
}

void global_to_shard(const ParamSpec& s, const float* global, float* local) {
  if (s.valid_extent() < (s.split_dim < 0 ? 0 : s.shape[s.split_dim]))
    std::memset(local, 0, sizeof(float) * static_cast<size_t>(s.numel));
  copy_overlap(global_spec(s), global, s, local);
}

void shard_to_global(const ParamSpec& s, const float* local, float* global) {
  copy_overlap(s, local, global_spec(s), global);
}

void extract_shard(const ParamLayout& layout, const GlobalTensors& global, float* flat) {
  for (const ParamSpec& s : layout.specs()) {
    auto it = global.find(s.name);
    if (it == global.end()) throw error("[model] no global tensor ", s.name, " to slice from");
    if (static_cast<int64_t>(it->second.size()) != s.global_numel())
      throw error("[model] global tensor ", s.name, " has ", it->second.size(),
                  " elements, expected ", s.global_numel());
    global_to_shard(s, it->second.data(), flat + s.offset);
  }
}

void assemble_global(const ParamLayout& layout, const float* flat, GlobalTensors& global) {
  for (const ParamSpec& s : layout.specs()) {
    std::vector<float>& g = global[s.name];
    if (g.empty()) g.assign(static_cast<size_t>(s.global_numel()), 0.0f);
    shard_to_global(s, flat + s.offset, g.data());
  }
}

}  // namespace ascent
