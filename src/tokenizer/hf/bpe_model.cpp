#include "tokenizer/hf/bpe_model.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "core/error.h"
#include "tokenizer/hf/byte_level.h"
#include "tokenizer/hf/pre_tokenizers.h"
#include "tokenizer/hf/tokenizer_json.h"
#include "tokenizer/hf/unicode.h"
#include "tokenizer/hf/word_cache.h"

namespace ascent::tokenizer::hf {
namespace {

// Words with at most this many symbols merge by rescanning an array; longer ones use a heap.
constexpr size_t kSmallWord = 48;
constexpr uint32_t kNoRank = UINT32_MAX;
constexpr int32_t kMaxSparseId = 1 << 24;
constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581

std::atomic<uint64_t> next_uid{1};

std::pair<std::string, std::string> parse_merge(const Json& m, const JsonPath& at) {
  if (m.is_string()) {
    const std::string& line = m.get_ref<const std::string&>();
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
      at.fail("expected \"left right\" (two tokens separated by one space), found \"" + line +
              "\"");
    return {line.substr(0, sp), line.substr(sp + 1)};
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
    return {m[0].get<std::string>(), m[1].get<std::string>()};
  at.fail("expected \"left right\" or [\"left\", \"right\"], found " + m.dump());
}

}  // namespace

BpeConfig parse_bpe_config(const Json& model, const JsonPath& at, TokenizerJson* lists) {
  require_object(model, at);
  const std::string type = string_field(model, "type", at, "BPE");
  if (type != "BPE") (at / "type").fail("unsupported model type '" + type + "' (supported: BPE)");
  const auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null()) {
    if (!dropout->is_number()) (at / "dropout").fail("expected null or a number");
    if (dropout->get<double>() != 0.0)
      (at / "dropout").fail("BPE dropout is not supported (must be null)");
  }
  BpeConfig c;
  const Json& vocab = require_member(model, "vocab", at);
  if (lists != nullptr && lists->vocab_taken) {
    c.vocab = std::move(lists->vocab);
  } else {
    if (!vocab.is_object()) (at / "vocab").fail("expected an object {token: id}");
    c.vocab.reserve(vocab.size());
    for (const auto& [token, value] : vocab.items()) {
      int32_t id = 0;
      if (!as_id(value, &id))
        (at / "vocab")
            .fail("id of '" + token + "' must be an integer in [0, 2^31), found " + value.dump());
      c.vocab.emplace_back(token, id);
    }
  }
  const Json& merges = require_member(model, "merges", at);
  if (lists != nullptr && lists->merges_taken) {
    c.merges = std::move(lists->merges);
  } else {
    if (!merges.is_array()) (at / "merges").fail("expected a list");
    c.merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      if (merges[i].is_string() &&
          merges[i].get_ref<const std::string&>().rfind("#version", 0) == 0)
        continue;
      c.merges.push_back(parse_merge(merges[i], (at / "merges")[i]));
    }
  }
  c.unk_token = string_field(model, "unk_token", at, "");
  c.continuing_subword_prefix = string_field(model, "continuing_subword_prefix", at, "");
  c.end_of_word_suffix = string_field(model, "end_of_word_suffix", at, "");
  c.fuse_unk = bool_field(model, "fuse_unk", at, false);
  c.byte_fallback = bool_field(model, "byte_fallback", at, false);
  c.ignore_merges = bool_field(model, "ignore_merges", at, false);
  return c;
}

BpeModel::BpeModel(BpeConfig config, const JsonPath& at)
    : unk_token_(std::move(config.unk_token)),
      prefix_(std::move(config.continuing_subword_prefix)),
      suffix_(std::move(config.end_of_word_suffix)),
      fuse_unk_(config.fuse_unk),
      byte_fallback_(config.byte_fallback),
      ignore_merges_(config.ignore_merges),
      uid_(next_uid.fetch_add(1)),
      where_(at.file()) {
  int32_t max_id = -1;
  vocab_.reserve(config.vocab.size());
  for (const auto& [token, id] : config.vocab) {
    max_id = std::max(max_id, id);
    vocab_.put(token, id);
  }
  // Ids index a table; a sparse vocabulary with a huge id is a broken file, not a reason to
  // allocate gigabytes.
  if (max_id > kMaxSparseId && static_cast<size_t>(max_id) > 16 * config.vocab.size())
    (at / "vocab")
        .fail("id " + std::to_string(max_id) + " is far beyond the " +
              std::to_string(config.vocab.size()) + " entries");
  tokens_.assign(static_cast<size_t>(max_id + 1), {0, -1});
  vocab_.for_each([&](std::string_view token, int32_t id) {
    tokens_[id] = {static_cast<uint32_t>(token_text_.size()), static_cast<int32_t>(token.size())};
    token_text_.append(token);
  });

  merges_.reserve(config.merges.size());
  std::string merged;
  for (size_t rank = 0; rank < config.merges.size(); ++rank) {
    const auto& [a, b] = config.merges[rank];
    const auto fail = [&](const std::string& what) { (at / "merges")[rank].fail(what); };
    const int32_t a_id = token_to_id(a), b_id = token_to_id(b);
    if (a_id < 0) fail("merge token '" + a + "' is not in the vocabulary");
    if (b_id < 0) fail("merge token '" + b + "' is not in the vocabulary");
    if (b.size() < prefix_.size() || b.compare(0, prefix_.size(), prefix_) != 0)
      fail("merge token '" + b + "' lacks the continuing_subword_prefix '" + prefix_ + "'");
    merged.assign(a).append(b, prefix_.size());
    const int32_t new_id = token_to_id(merged);
    if (new_id < 0) fail("merged token '" + merged + "' is not in the vocabulary");
    merges_.put(a_id, b_id, {static_cast<uint32_t>(rank), new_id});
  }

  if (prefix_.empty() && suffix_.empty()) {
    bmp_ids_.assign(0x10000, -1);
    vocab_.for_each([&](std::string_view token, int32_t id) {
      int len = 0;
      if (token.empty() || token.size() > 4) return;
      const uint32_t cp = utf8_decode(token, 0, &len);
      if (static_cast<size_t>(len) == token.size() && cp < 0x10000) bmp_ids_[cp] = id;
    });
  }
  for (int b = 0; b < 256; ++b) {
    byte_char_ids_[b] = token_to_id(byte_level::utf8_of(static_cast<uint8_t>(b)));
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    byte_fallback_ids_[b] = token_to_id(name);
  }
  if (!unk_token_.empty()) unk_id_ = token_to_id(unk_token_);

  split_at_metaspace_ =
      prefix_.empty() && suffix_.empty() && !ignore_merges_ && token_to_id(kMetaspace) >= 0;
  for (size_t i = 0; i < config.merges.size() && split_at_metaspace_; ++i) {
    const auto& [a, b] = config.merges[i];
    const bool a_ends = a.size() >= kMetaspace.size() &&
                        a.compare(a.size() - kMetaspace.size(), kMetaspace.size(), kMetaspace) == 0;
    if (!a_ends && b.compare(0, kMetaspace.size(), kMetaspace) == 0) split_at_metaspace_ = false;
  }
}

int32_t BpeModel::token_to_id(std::string_view token) const { return vocab_.find(token); }

bool BpeModel::id_to_token(int32_t id, std::string_view* token) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || tokens_[id].second < 0) return false;
  *token = std::string_view(token_text_).substr(tokens_[id].first, tokens_[id].second);
  return true;
}

// A character (with its prefix/suffix) the vocabulary lacks: its <0xNN> byte tokens when every
// one exists, else the unknown token (runs fused with fuse_unk), else nothing, as HF does.
void BpeModel::add_unknown(std::string_view piece, bool& unk_pending,
                           std::vector<int32_t>& syms) const {
  if (byte_fallback_) {
    bool all = true;
    for (const char c : piece) all &= byte_fallback_ids_[static_cast<uint8_t>(c)] >= 0;
    if (all) {
      for (const char c : piece) syms.push_back(byte_fallback_ids_[static_cast<uint8_t>(c)]);
      return;
    }
  }
  if (unk_token_.empty()) return;
  if (unk_id_ < 0)
    throw error("[tokenizer] ", where_, ": model.unk_token '", unk_token_,
                "' is not in the vocabulary");
  if (!unk_pending) {
    unk_pending = true;
  } else if (!fuse_unk_) {
    syms.push_back(unk_id_);
  }
}

void BpeModel::initial_symbols(std::string_view word, bool bytes_pending,
                               std::vector<int32_t>& syms) const {
  syms.clear();
  bool unk_pending = false;
  const auto known = [&](int32_t id) {
    if (unk_pending) {
      syms.push_back(unk_id_);
      unk_pending = false;
    }
    syms.push_back(id);
  };
  const bool plain = prefix_.empty() && suffix_.empty();
  if (bytes_pending && plain) {
    for (const char c : word) {
      const auto b = static_cast<uint8_t>(c);
      if (byte_char_ids_[b] >= 0)
        known(byte_char_ids_[b]);
      else
        add_unknown(byte_level::utf8_of(b), unk_pending, syms);
    }
  } else {
    thread_local std::string mapped, piece;
    if (bytes_pending) {
      mapped.clear();
      byte_level::encode(word, mapped);
      word = mapped;
    }
    for (size_t i = 0; i < word.size();) {
      int len = 1;
      const uint32_t cp = utf8_decode(word, i, &len);
      const std::string_view ch = word.substr(i, len);
      int32_t id;
      std::string_view s = ch;
      if (plain) {
        id = cp < 0x10000 ? bmp_ids_[cp] : token_to_id(ch);
      } else {
        piece.clear();
        if (i > 0) piece += prefix_;
        piece += ch;
        if (i + len == word.size()) piece += suffix_;
        s = piece;
        id = token_to_id(piece);
      }
      if (id >= 0)
        known(id);
      else
        add_unknown(s, unk_pending, syms);
      i += len;
    }
  }
  if (unk_pending) syms.push_back(unk_id_);
}

// Lowest rank first, leftmost on ties, over an array rescanned after each merge.
void BpeModel::merge_small(std::vector<int32_t>& syms) const {
  size_t n = syms.size();
  if (n < 2) return;
  PairMap::Merge m[kSmallWord];
  const auto lookup = [&](size_t i) {
    const PairMap::Merge* p = merges_.find(syms[i], syms[i + 1]);
    m[i] = p ? *p : PairMap::Merge{kNoRank, -1};
  };
  for (size_t i = 0; i + 1 < n; ++i) lookup(i);
  while (true) {
    uint32_t best = kNoRank;
    size_t at = 0;
    for (size_t i = 0; i + 1 < n; ++i)
      if (m[i].rank < best) {
        best = m[i].rank;
        at = i;
      }
    if (best == kNoRank) break;
    syms[at] = m[at].new_id;
    syms.erase(syms.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    for (size_t i = at + 1; i + 1 < n; ++i) m[i] = m[i + 1];
    --n;
    if (at + 1 < n) lookup(at);
    if (at > 0) lookup(at - 1);
  }
}

// HF's Word::merge_all: a min-heap of (rank, position) over a linked list of symbols, stale
// entries skipped when the pair at their position no longer yields their merged id.
void BpeModel::merge_large(std::vector<int32_t>& syms) const {
  struct Entry {
    uint32_t rank;
    uint32_t pos;
    int32_t new_id;
  };
  const auto later = [](const Entry& x, const Entry& y) {
    return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos;
  };
  const size_t n = syms.size();
  thread_local std::vector<int32_t> prev, next;
  thread_local std::vector<uint8_t> alive;
  thread_local std::vector<Entry> heap;
  prev.resize(n);
  next.resize(n);
  alive.assign(n, 1);
  heap.clear();
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
    if (i + 1 < n)
      if (const PairMap::Merge* p = merges_.find(syms[i], syms[i + 1]))
        heap.push_back({p->rank, static_cast<uint32_t>(i), p->new_id});
  }
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Entry top = heap.back();
    heap.pop_back();
    const uint32_t pos = top.pos;
    if (!alive[pos] || next[pos] < 0) continue;
    const int32_t right = next[pos];
    const PairMap::Merge* cur = merges_.find(syms[pos], syms[right]);
    if (cur == nullptr || cur->new_id != top.new_id) continue;
    syms[pos] = top.new_id;
    alive[right] = 0;
    next[pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = static_cast<int32_t>(pos);
    if (prev[pos] >= 0) {
      if (const PairMap::Merge* p = merges_.find(syms[prev[pos]], syms[pos])) {
        heap.push_back({p->rank, static_cast<uint32_t>(prev[pos]), p->new_id});
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
    if (next[pos] >= 0) {
      if (const PairMap::Merge* p = merges_.find(syms[pos], syms[next[pos]])) {
        heap.push_back({p->rank, pos, p->new_id});
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
  }
  size_t k = 0;
  for (size_t i = 0; i < n; ++i)
    if (alive[i]) syms[k++] = syms[i];
  syms.resize(k);
}

void BpeModel::tokenize(std::string_view word, bool bytes_pending,
                        std::vector<int32_t>& out) const {
  tokenize_word_or_parts(word, bytes_pending,
                         WordCache::for_thread(2 * uid_ + (bytes_pending ? 1 : 0)), out);
}

void BpeModel::tokenize(const Pieces& pieces, std::vector<int32_t>& out) const {
  // Raw-byte words and text words are cached apart.
  WordCache& cache = WordCache::for_thread(2 * uid_ + (pieces.bytes_pending ? 1 : 0));
  for (const Pieces::Piece& p : pieces.list)
    tokenize_word_or_parts(pieces.view(p), pieces.bytes_pending, cache, out);
}

void BpeModel::tokenize_word_or_parts(std::string_view word, bool bytes_pending, WordCache& cache,
                                      std::vector<int32_t>& out) const {
  if (!split_at_metaspace_ || bytes_pending || word.size() <= WordCache::kMaxWordBytes) {
    tokenize_word(word, bytes_pending, cache, out);
    return;
  }
  // Parts start at a "▁" that follows another character.
  size_t start = 0;
  for (size_t at = word.find(kMetaspace, 1); at != std::string_view::npos;
       at = word.find(kMetaspace, at + kMetaspace.size())) {
    if (at >= kMetaspace.size() &&
        word.compare(at - kMetaspace.size(), kMetaspace.size(), kMetaspace) == 0)
      continue;
    tokenize_word(word.substr(start, at - start), false, cache, out);
    start = at;
  }
  tokenize_word(word.substr(start), false, cache, out);
}

void BpeModel::tokenize_word(std::string_view word, bool bytes_pending, WordCache& cache,
                             std::vector<int32_t>& out) const {
  if (word.empty()) return;
  const bool cacheable = word.size() <= WordCache::kMaxWordBytes;
  const uint64_t hash = cacheable ? hash_bytes(word) : 0;
  if (cacheable && cache.find(word, hash, out)) return;
  thread_local std::vector<int32_t> syms;
  syms.clear();
  if (ignore_merges_) {
    int32_t id;
    if (bytes_pending) {
      thread_local std::string mapped;
      mapped.clear();
      byte_level::encode(word, mapped);
      id = token_to_id(mapped);
    } else {
      id = token_to_id(word);
    }
    if (id >= 0) syms.push_back(id);
  }
  if (syms.empty()) {
    initial_symbols(word, bytes_pending, syms);
    if (syms.size() <= kSmallWord)
      merge_small(syms);
    else
      merge_large(syms);
  }
  out.insert(out.end(), syms.begin(), syms.end());
  if (cacheable) cache.insert(word, hash, syms.data(), syms.size());
}

}  // namespace ascent::tokenizer::hf
