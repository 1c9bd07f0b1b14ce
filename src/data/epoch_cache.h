#pragma once
// The few most recently used epochs of something built per epoch (a shuffled order, packed
// rows). Training walks forward through the epochs, so the current and the previous one suffice.
// Not thread-safe: the owner holds its own lock.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace ascent::data {

template <typename T>
class EpochCache {
 public:
  explicit EpochCache(size_t capacity = 2) : capacity_(capacity) {}

  // Epoch e's entry, built by make(e) (returning std::shared_ptr<const T>) when it is not kept;
  // the least recently used one is dropped to make room.
  template <typename Make>
  std::shared_ptr<const T> get(int64_t e, Make make) {
    for (size_t k = 0; k < entries_.size(); ++k) {
      if (entries_[k].first != e) continue;
      auto hit = entries_[k];
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(k));
      entries_.push_back(hit);
      return hit.second;
    }
    std::shared_ptr<const T> built = make(e);
    if (entries_.size() == capacity_) entries_.erase(entries_.begin());
    entries_.emplace_back(e, built);
    return built;
  }

 private:
  size_t capacity_;
  std::vector<std::pair<int64_t, std::shared_ptr<const T>>> entries_;  // most recent last
};

}  // namespace ascent::data
