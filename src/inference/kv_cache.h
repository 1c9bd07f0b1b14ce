#pragma once
// Key/value cache for incremental decoding: per layer, the keys and values of every token seen so
// far by each of `max_batch` sequences ("slots"), after the q/k/v bias and RoPE, in f32.
//
// Layout per layer: K and V are [max_batch, KVH, max_T, HS], so the keys of one (slot, KV head)
// are one contiguous [T, HS] block that the decode attention streams through.
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "model/config.h"

namespace ascent::inference {

class KvCache {
 public:
  // Requires max_batch > 0 and max_T > 0. Memory: 2 * L * max_batch * KVH * max_T * HS floats.
  KvCache(const ModelConfig& cfg, int64_t max_batch, int64_t max_T);

  int64_t num_layers() const { return L_; }
  int64_t max_batch() const { return max_batch_; }
  int64_t max_T() const { return max_T_; }
  int64_t kv_heads() const { return KVH_; }
  int64_t head_size() const { return HS_; }

  // Tokens cached for `slot` (the position of its next token).
  int64_t length(int64_t slot) const;
  // Marks n more tokens of `slot` as cached (their K/V must have been written). Requires
  // length(slot) + n <= max_T.
  void advance(int64_t slot, int64_t n);
  // Forgets the tokens of one slot, or of all (the memory is reused, not cleared).
  void reset(int64_t slot);
  void reset_all();

  // [max_T, HS] keys / values of (layer, slot, KV head g); rows >= length(slot) are free space.
  float* k(int64_t layer, int64_t slot, int64_t g) const;
  float* v(int64_t layer, int64_t slot, int64_t g) const;

  size_t bytes() const { return k_.nbytes() + v_.nbytes(); }

 private:
  size_t offset(int64_t layer, int64_t slot, int64_t g) const;

  int64_t L_, KVH_, HS_, max_batch_, max_T_;
  Buffer k_, v_;                 // [L, max_batch, KVH, max_T, HS] each
  std::vector<int64_t> length_;  // [max_batch]
};

}  // namespace ascent::inference
