#include "data/packing.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace ascent::data {

namespace {

constexpr uint64_t kShuffleRows = 0x70;

// Max-tree over bins of their free room; bins not opened yet have the whole capacity, so the
// leftmost bin with room for an item is an open one or the next one to open.
class RoomTree {
 public:
  RoomTree(int64_t bins, int64_t capacity) {
    while (leaves_ < bins) leaves_ *= 2;
    room_.assign(static_cast<size_t>(2 * leaves_), capacity);
  }
  // The leftmost bin with room >= need (the root must have it).
  int64_t leftmost(int64_t need) const {
    int64_t node = 1;
    while (node < leaves_)
      node = room_[static_cast<size_t>(2 * node)] >= need ? 2 * node : 2 * node + 1;
    return node - leaves_;
  }
  void take(int64_t bin, int64_t amount) {
    int64_t node = bin + leaves_;
    room_[static_cast<size_t>(node)] -= amount;
    for (node /= 2; node >= 1; node /= 2)
      room_[static_cast<size_t>(node)] =
          std::max(room_[static_cast<size_t>(2 * node)], room_[static_cast<size_t>(2 * node + 1)]);
  }

 private:
  int64_t leaves_ = 1;
  std::vector<int64_t> room_;  // [2 * leaves_] heap layout, root at 1
};

}  // namespace

std::vector<std::vector<int64_t>> first_fit(std::span<const int64_t> lengths, int64_t capacity) {
  ASCENT_CHECK(capacity >= 1) << "bin capacity " << capacity;
  std::vector<std::vector<int64_t>> bins;
  if (lengths.empty()) return bins;
  RoomTree tree(static_cast<int64_t>(lengths.size()), capacity);
  for (size_t k = 0; k < lengths.size(); ++k) {
    const int64_t n = lengths[k];
    ASCENT_CHECK(n >= 0 && n <= capacity)
        << "item " << k << " of length " << n << " does not fit a bin of " << capacity;
    const int64_t bin = tree.leftmost(n);
    tree.take(bin, n);
    if (bin == static_cast<int64_t>(bins.size())) bins.emplace_back();
    bins[static_cast<size_t>(bin)].push_back(static_cast<int64_t>(k));
  }
  return bins;
}

PackedRows::PackedRows(std::shared_ptr<const InstructionSplit> split, int64_t seq_length)
    : split_(std::move(split)), T_(seq_length) {
  ASCENT_CHECK(split_ != nullptr) << "PackedRows without samples";
  if (T_ < 1) throw error("[packing] --seq-length ", T_, " must be >= 1");
}

std::shared_ptr<const PackedRows::Epoch> PackedRows::pack_epoch(int64_t e) const {
  // Samples longest first; equal lengths keep the epoch's shuffled order.
  const auto order = split_->epoch_order(e);
  std::vector<std::pair<int64_t, int64_t>> items(order->size());  // (tokens, sample)
  for (size_t k = 0; k < order->size(); ++k)
    items[k] = {row_tokens(split_->data().length((*order)[k]), T_), (*order)[k]};
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<int64_t> lengths(items.size());
  for (size_t k = 0; k < items.size(); ++k) lengths[k] = items[k].first;
  const auto bins = first_fit(lengths, T_);

  std::vector<int64_t> row_order(bins.size());
  std::iota(row_order.begin(), row_order.end(), int64_t{0});
  philox_shuffle(row_order, epoch_shuffle_key(split_->seed(), split_->split(), e, kShuffleRows));
  auto ep = std::make_shared<Epoch>();
  ep->samples.reserve(items.size());
  ep->starts.reserve(bins.size() + 1);
  ep->starts.push_back(0);
  for (int64_t b : row_order) {
    for (int64_t k : bins[static_cast<size_t>(b)])
      ep->samples.push_back(items[static_cast<size_t>(k)].second);
    ep->starts.push_back(static_cast<int64_t>(ep->samples.size()));
  }
  return ep;
}

std::shared_ptr<const PackedRows::Epoch> PackedRows::epoch_locked(int64_t e) const {
  return cache_.get(e, [this](int64_t x) { return pack_epoch(x); });
}

void PackedRows::count_epochs_locked(int64_t e) const {
  while (static_cast<int64_t>(first_row_.size()) <= e + 1) {
    const int64_t known = static_cast<int64_t>(first_row_.size()) - 1;  // epochs counted
    const auto ep = epoch_locked(known);
    first_row_.push_back(first_row_.back() + static_cast<int64_t>(ep->starts.size()) - 1);
  }
}

int64_t PackedRows::rows_in_epoch(int64_t e) const {
  ASCENT_CHECK(e >= 0) << "epoch " << e;
  std::lock_guard<std::mutex> lock(mu_);
  count_epochs_locked(e);
  return first_row_[static_cast<size_t>(e) + 1] - first_row_[static_cast<size_t>(e)];
}

int64_t PackedRows::first_row_of_epoch(int64_t e) const {
  ASCENT_CHECK(e >= 0) << "epoch " << e;
  std::lock_guard<std::mutex> lock(mu_);
  count_epochs_locked(e);
  return first_row_[static_cast<size_t>(e)];
}

std::vector<int64_t> PackedRows::row(int64_t r) const {
  ASCENT_CHECK(r >= 0) << "row " << r;
  std::lock_guard<std::mutex> lock(mu_);
  // Every epoch has at least one row, so epoch e starts at or before row e.
  while (first_row_.back() <= r) count_epochs_locked(static_cast<int64_t>(first_row_.size()) - 1);
  const auto e = static_cast<int64_t>(std::upper_bound(first_row_.begin(), first_row_.end(), r) -
                                      first_row_.begin() - 1);
  const auto ep = epoch_locked(e);
  const auto k = static_cast<size_t>(r - first_row_[static_cast<size_t>(e)]);
  return std::vector<int64_t>(ep->samples.begin() + ep->starts[k],
                              ep->samples.begin() + ep->starts[k + 1]);
}

}  // namespace ascent::data
