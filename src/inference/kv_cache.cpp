#include "inference/kv_cache.h"

#include <algorithm>

#include "core/error.h"

namespace ascent::inference {

KvCache::KvCache(const ModelConfig& cfg, int64_t max_batch, int64_t max_T)
    : L_(cfg.num_layers),
      KVH_(cfg.num_query_groups),
      HS_(cfg.head_size()),
      max_batch_(max_batch),
      max_T_(max_T) {
  ASCENT_CHECK(max_batch > 0 && max_T > 0)
      << "KvCache: max_batch " << max_batch << " max_T " << max_T;
  const int64_t n = L_ * max_batch_ * KVH_ * max_T_ * HS_;
  k_ = Buffer(DType::F32, n);
  v_ = Buffer(DType::F32, n);
  length_.assign(static_cast<size_t>(max_batch_), 0);
}

int64_t KvCache::length(int64_t slot) const {
  ASCENT_CHECK(slot >= 0 && slot < max_batch_) << "KvCache: slot " << slot;
  return length_[static_cast<size_t>(slot)];
}

void KvCache::advance(int64_t slot, int64_t n) {
  const int64_t len = length(slot);
  ASCENT_CHECK(n >= 0 && len + n <= max_T_)
      << "KvCache: slot " << slot << " holds " << len << " + " << n << " > max_T " << max_T_;
  length_[static_cast<size_t>(slot)] = len + n;
}

void KvCache::reset(int64_t slot) {
  ASCENT_CHECK(slot >= 0 && slot < max_batch_) << "KvCache: slot " << slot;
  length_[static_cast<size_t>(slot)] = 0;
}

void KvCache::reset_all() { std::fill(length_.begin(), length_.end(), 0); }

size_t KvCache::offset(int64_t layer, int64_t slot, int64_t g) const {
  return static_cast<size_t>(((layer * max_batch_ + slot) * KVH_ + g) * max_T_ * HS_);
}

float* KvCache::k(int64_t layer, int64_t slot, int64_t g) const {
  return static_cast<float*>(k_.data()) + offset(layer, slot, g);
}

float* KvCache::v(int64_t layer, int64_t slot, int64_t g) const {
  return static_cast<float*>(v_.data()) + offset(layer, slot, g);
}

}  // namespace ascent::inference
