#include "tokenizer/hf/word_cache.h"

#include <array>
#include <cstring>

namespace ascent::tokenizer::hf {
namespace {

// At most half of the slots of each table are used.
constexpr size_t kFrontSlots = size_t{1} << 12;  // 256 KiB
constexpr size_t kSmallSlots = size_t{1} << 16;  // 4 MiB
constexpr size_t kLargeSlots = size_t{1} << 15;
constexpr size_t kMaxKeyBytes = size_t{1} << 21;
constexpr int kModelsPerThread = 4;

}  // namespace

WordCache::WordCache() : front_(kFrontSlots), small_(kSmallSlots), large_(kLargeSlots) { clear(); }

void WordCache::clear() {
  std::memset(static_cast<void*>(front_.data()), 0, front_.size() * sizeof(SmallSlot));
  std::memset(static_cast<void*>(small_.data()), 0, small_.size() * sizeof(SmallSlot));
  std::memset(static_cast<void*>(large_.data()), 0, large_.size() * sizeof(LargeSlot));
  small_count_ = large_count_ = 0;
  keys_.clear();
  ids_.clear();
}

bool WordCache::find(std::string_view word, uint64_t hash, std::vector<int32_t>& out) {
  if (word.size() <= kInlineKey) {
    SmallSlot& f = front_[(hash >> 20) & (kFrontSlots - 1)];
    if (f.hash == hash && f.key_length == word.size() &&
        std::memcmp(f.key, word.data(), word.size()) == 0) {
      out.insert(out.end(), f.ids, f.ids + f.ids_length);
      return true;
    }
    for (size_t i = hash & (kSmallSlots - 1);; i = (i + 1) & (kSmallSlots - 1)) {
      const SmallSlot& s = small_[i];
      if (s.hash == 0) break;  // maybe in the large table (too many ids for a slot)
      if (s.hash == hash && s.key_length == word.size() &&
          std::memcmp(s.key, word.data(), word.size()) == 0) {
        f = s;
        out.insert(out.end(), s.ids, s.ids + s.ids_length);
        return true;
      }
    }
  }
  for (size_t i = hash & (kLargeSlots - 1);; i = (i + 1) & (kLargeSlots - 1)) {
    const LargeSlot& s = large_[i];
    if (s.hash == 0) return false;
    if (s.hash == hash && s.key_length == word.size() &&
        std::memcmp(keys_.data() + s.key_offset, word.data(), word.size()) == 0) {
      out.insert(out.end(), ids_.begin() + s.ids_offset,
                 ids_.begin() + s.ids_offset + s.ids_length);
      return true;
    }
  }
}

void WordCache::insert(std::string_view word, uint64_t hash, const int32_t* ids, size_t n) {
  if (word.size() > kMaxWordBytes) return;
  if (word.size() <= kInlineKey && n <= kInlineIds) {
    if (2 * (small_count_ + 1) > kSmallSlots) return;
    size_t i = hash & (kSmallSlots - 1);
    while (small_[i].hash != 0) {
      if (small_[i].hash == hash && small_[i].key_length == word.size() &&
          std::memcmp(small_[i].key, word.data(), word.size()) == 0)
        return;
      i = (i + 1) & (kSmallSlots - 1);
    }
    SmallSlot& s = small_[i];
    s.hash = hash;
    s.key_length = static_cast<uint8_t>(word.size());
    s.ids_length = static_cast<uint8_t>(n);
    std::memcpy(s.key, word.data(), word.size());
    std::memcpy(s.ids, ids, n * sizeof(int32_t));
    ++small_count_;
    return;
  }
  if (2 * (large_count_ + 1) > kLargeSlots || keys_.size() + word.size() > kMaxKeyBytes ||
      n > UINT16_MAX)
    return;
  size_t i = hash & (kLargeSlots - 1);
  while (large_[i].hash != 0) {
    if (large_[i].hash == hash && large_[i].key_length == word.size() &&
        std::memcmp(keys_.data() + large_[i].key_offset, word.data(), word.size()) == 0)
      return;
    i = (i + 1) & (kLargeSlots - 1);
  }
  large_[i] = {hash, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(ids_.size()),
               static_cast<uint16_t>(word.size()), static_cast<uint16_t>(n)};
  keys_.append(word);
  ids_.insert(ids_.end(), ids, ids + n);
  ++large_count_;
}

WordCache& WordCache::for_thread(uint64_t owner) {
  struct Caches {
    std::array<uint64_t, kModelsPerThread> owners{};
    std::array<std::unique_ptr<WordCache>, kModelsPerThread> caches;
    int next = 0;
  };
  thread_local Caches tl;
  for (int i = 0; i < kModelsPerThread; ++i)
    if (tl.owners[i] == owner) return *tl.caches[i];
  const int i = tl.next;
  tl.next = (tl.next + 1) % kModelsPerThread;
  if (tl.caches[i])
    tl.caches[i]->clear();
  else
    tl.caches[i] = std::make_unique<WordCache>();
  tl.owners[i] = owner;
  return *tl.caches[i];
}

}  // namespace ascent::tokenizer::hf
