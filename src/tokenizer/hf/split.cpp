#include "tokenizer/hf/split.h"

#include <vector>

namespace ascent::tokenizer::hf {
namespace {

struct Part {
  size_t start, end;
  bool is_match;
};

// Collects the covering list of (range, is_match) parts of one piece, as HF's find_matches.
class Collector final : public MatchSink {
 public:
  explicit Collector(std::vector<Part>& parts) : parts_(parts) {}
  void on_match(size_t start, size_t end) override {
    if (prev_ != start) parts_.push_back({prev_, start, false});
    parts_.push_back({start, end, true});
    prev_ = end;
  }
  void finish(size_t len) {
    if (prev_ != len) parts_.push_back({prev_, len, false});
  }

 private:
  std::vector<Part>& parts_;
  size_t prev_ = 0;
};

// Rewrites parts in place per `behavior`; is_match afterwards means "remove".
void apply_behavior(std::vector<Part>& parts, SplitBehavior behavior) {
  switch (behavior) {
    case SplitBehavior::kRemoved:
      return;
    case SplitBehavior::kIsolated:
      for (Part& p : parts) p.is_match = false;
      return;
    case SplitBehavior::kContiguous:
    case SplitBehavior::kMergedWithPrevious: {
      const bool contiguous = behavior == SplitBehavior::kContiguous;
      size_t n = 0;
      bool previous_match = false;
      for (size_t i = 0; i < parts.size(); ++i) {
        const Part p = parts[i];  // a copy: parts[n] below may be this very element
        const bool merge =
            contiguous ? p.is_match == previous_match : p.is_match && !previous_match;
        if (merge && n > 0) {
          parts[n - 1].end = p.end;
        } else {
          parts[n++] = {p.start, p.end, false};
        }
        previous_match = p.is_match;
      }
      parts.resize(n);
      return;
    }
    case SplitBehavior::kMergedWithNext: {
      // The mirror image of MergedWithPrevious, walking from the end.
      std::vector<Part> rev;
      rev.reserve(parts.size());
      bool previous_match = false;
      for (size_t i = parts.size(); i-- > 0;) {
        const Part& p = parts[i];
        if (p.is_match && !previous_match && !rev.empty()) {
          rev.back().start = p.start;
        } else {
          rev.push_back({p.start, p.end, false});
        }
        previous_match = p.is_match;
      }
      parts.assign(rev.rbegin(), rev.rend());
      return;
    }
  }
}

}  // namespace

SplitBehavior parse_behavior(const Json& obj, std::string_view key, const JsonPath& at) {
  const std::string v = string_field(obj, key, at, "Isolated");
  if (v == "Removed") return SplitBehavior::kRemoved;
  if (v == "Isolated") return SplitBehavior::kIsolated;
  if (v == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (v == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (v == "Contiguous") return SplitBehavior::kContiguous;
  (at / key).fail(
      "unknown behavior '" + v +
      "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

void split_pieces(Pieces& pieces, Pieces& scratch, const MatchFinder& finder,
                  SplitBehavior behavior, bool invert) {
  thread_local std::vector<Part> parts;
  auto& out = scratch.list;
  out.clear();
  for (const Pieces::Piece& piece : pieces.list) {
    const std::string_view s = pieces.view(piece);
    if (s.empty()) continue;
    parts.clear();
    Collector collector(parts);
    finder.find(s, collector);
    collector.finish(s.size());
    if (invert)
      for (Part& p : parts) p.is_match = !p.is_match;
    apply_behavior(parts, behavior);
    for (const Part& p : parts) {
      if (p.is_match || p.start == p.end) continue;
      out.push_back({piece.begin + static_cast<uint32_t>(p.start),
                     piece.begin + static_cast<uint32_t>(p.end), piece.first && p.start == 0});
    }
  }
  pieces.list.swap(out);
}

}  // namespace ascent::tokenizer::hf
