#pragma once
// Hashing for the BPE hot path: a string hash for vocabulary and word-cache lookups, and an open
// addressing map from an id pair to its merge (rank, new id).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ascent::tokenizer::hf {

// A fast 64-bit hash of bytes; never 0 (the word cache uses 0 for an empty slot).
inline uint64_t hash_bytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
  }
  h *= 0x9E3779B97F4A7C15ull;
  h ^= h >> 32;
  return h | 1;
}

// Transparent hash so unordered maps keyed by std::string take std::string_view lookups.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return hash_bytes(s); }
};

// string -> id, insert-only, with the keys packed in one buffer (vocabularies of 100k+ entries
// load and look up much faster than with std::unordered_map<std::string, int>).
class StringTable {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{0, 0, 0, 0});
    mask_ = cap - 1;
    for (const Slot& s : old)
      if (s.hash != 0) place(s);
  }

  // Maps key to id (a repeated key takes the new id); false when the key was already there.
  bool put(std::string_view key, int32_t id) {
    if (2 * (count_ + 1) > slots_.size()) reserve(count_ + 1 > 8 ? 2 * count_ : 8);
    const uint64_t h = hash_bytes(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s = {h, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(key.size()), id};
        keys_.append(key);
        ++count_;
        return true;
      }
      if (s.hash == h && key_of(s) == key) {
        s.id = id;
        return false;
      }
    }
  }

  // The id of key, or -1.
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash_bytes(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return -1;
      if (s.hash == h && key_of(s) == key) return s.id;
    }
  }

  size_t size() const { return count_; }

  // Calls f(key, id) for every entry.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.hash != 0) f(key_of(s), s.id);
  }

 private:
  struct Slot {
    uint64_t hash;  // 0: empty
    uint32_t offset, length;
    int32_t id;
  };
  std::string_view key_of(const Slot& s) const {
    return std::string_view(keys_).substr(s.offset, s.length);
  }
  void place(const Slot& s) {
    size_t i = s.hash & mask_;
    while (slots_[i].hash != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }

  std::vector<Slot> slots_;
  std::string keys_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

// (left id, right id) -> (rank, merged id). Built once, then read-only (thread-safe).
class PairMap {
 public:
  struct Merge {
    uint32_t rank;
    int32_t new_id;
  };

  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    slots_.assign(cap, Slot{kEmpty, {0, 0}});
    mask_ = cap - 1;
    count_ = 0;
  }

  // Inserts or overwrites (a later merge line for the same pair wins, as in HF).
  void put(int32_t a, int32_t b, Merge m) {
    if (2 * (count_ + 1) > slots_.size()) grow();
    const uint64_t k = key(a, b);
    for (size_t i = slot_of(k);; i = (i + 1) & mask_) {
      if (slots_[i].key == kEmpty) {
        slots_[i] = {k, m};
        ++count_;
        return;
      }
      if (slots_[i].key == k) {
        slots_[i].merge = m;
        return;
      }
    }
  }

  // The merge of (a, b), or nullptr.
  const Merge* find(int32_t a, int32_t b) const {
    if (slots_.empty()) return nullptr;
    const uint64_t k = key(a, b);
    for (size_t i = slot_of(k);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == k) return &s.merge;
      if (s.key == kEmpty) return nullptr;
    }
  }

  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  struct Slot {
    uint64_t key;
    Merge merge;
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  size_t slot_of(uint64_t k) const {
    return static_cast<size_t>(((k * 0x9E3779B97F4A7C15ull) >> 20) ^ (k * 0xC2B2AE3D27D4EB4Full)) &
           mask_;
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    reserve(old.empty() ? 8 : old.size());
    for (const Slot& s : old)
      if (s.key != kEmpty)
        put(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key), s.merge);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

}  // namespace ascent::tokenizer::hf
