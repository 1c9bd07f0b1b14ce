#pragma once
// A per-thread cache of word -> token ids for the BPE model. Each thread keeps its own caches
// (no locks on the encode path), one per model it used most recently (at most 4). Short words
// with few ids live in one 64-byte slot each (one cache miss per lookup); longer ones in a
// second table with packed keys and ids. A full table keeps what it has (as HF's cache does):
// the frequent words come early and stay. A small direct-mapped front table holds the words used
// last, so the frequent ones are found without a trip to main memory.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ascent::tokenizer::hf {

class WordCache {
 public:
  // Longer words are not cached (whole-text words of tokenizers with no pre-tokenizer).
  static constexpr size_t kMaxWordBytes = 64;

  WordCache();

  // Appends the cached ids of `word` (whose hash_bytes is `hash`) to out; false when absent.
  bool find(std::string_view word, uint64_t hash, std::vector<int32_t>& out);
  // Caches ids[0..n) for word.
  void insert(std::string_view word, uint64_t hash, const int32_t* ids, size_t n);

  // The calling thread's cache for the model with unique id `owner`.
  static WordCache& for_thread(uint64_t owner);

 private:
  static constexpr size_t kInlineKey = 22, kInlineIds = 8;
  struct alignas(64) SmallSlot {
    uint64_t hash;  // 0: empty
    uint8_t key_length, ids_length;
    char key[kInlineKey];
    int32_t ids[kInlineIds];
  };
  struct LargeSlot {
    uint64_t hash;  // 0: empty
    uint32_t key_offset, ids_offset;
    uint16_t key_length, ids_length;
  };
  void clear();

  // A direct-mapped copy of recently used short words, small enough to stay in L2.
  std::vector<SmallSlot> front_;
  std::vector<SmallSlot> small_;
  size_t small_count_ = 0;
  std::vector<LargeSlot> large_;
  size_t large_count_ = 0;
  std::string keys_;
  std::vector<int32_t> ids_;
};

}  // namespace ascent::tokenizer::hf
