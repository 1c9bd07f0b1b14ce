#include "parallel/dp/zero.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kernels/kernels.h"

namespace ascent::parallel::dp {

double sum_squares(const float* x, int64_t n) {
  return kernels::sum_squares(Tensor(const_cast<float*>(x), DType::F32, {n}));
}

Range Range::intersect(Range o) const {
  const int64_t b = std::max(begin, o.begin), e = std::min(end(), o.end());
  return e > b ? Range{b, e - b} : Range{b, 0};
}

std::vector<Range> partition(int64_t numel, int parts, int64_t align) {
  ASCENT_CHECK(numel >= 0 && parts >= 1 && align >= 1)
      << "[parallel] partition of " << numel << " elements into " << parts << " (align " << align
      << ")";
  const int64_t units = (numel + align - 1) / align;
  const int64_t base = units / parts, extra = units % parts;
  std::vector<Range> shards(parts);
  int64_t unit = 0;
  for (int r = 0; r < parts; ++r) {
    const int64_t u = base + (r < extra ? 1 : 0);
    const int64_t b = std::min(unit * align, numel), e = std::min((unit + u) * align, numel);
    shards[r] = {b, e - b};
    unit += u;
  }
  return shards;
}

std::vector<int64_t> piece_counts(Range r, const std::vector<Range>& shards) {
  std::vector<int64_t> counts(shards.size());
  for (size_t i = 0; i < shards.size(); ++i) counts[i] = r.intersect(shards[i]).count;
  return counts;
}

Sharding::Sharding(const Comm& dp, int64_t numel, int64_t align)
    : dp_(dp), numel_(numel), shards_(partition(numel, dp.size(), align)) {}

double Sharding::grad_norm(const float* grad, const Comm* model_parallel,
                           const std::vector<Range>& counted) const {
  return shard_grad_norm(grad + mine().begin, model_parallel, counted);
}

double Sharding::shard_grad_norm(const float* my_grad, const Comm* model_parallel,
                                 const std::vector<Range>& counted) const {
  const Range m = mine();
  double local = 0;
  if (counted.empty()) {
    local = sum_squares(my_grad, m.count);
  } else {
    for (const Range& c : counted) {
      const Range p = c.intersect(m);
      if (!p.empty()) local += sum_squares(my_grad + (p.begin - m.begin), p.count);
    }
  }
  if (dp_.size() > 1) dp_.all_reduce(&local, 1);
  if (model_parallel && model_parallel->size() > 1) model_parallel->all_reduce(&local, 1);
  return std::sqrt(local);
}

template <typename T>
void Sharding::all_gather_windows(T* params) const {
  if (dp_.size() == 1) return;
  constexpr int64_t kWindow = int64_t{1} << 30;
  for (int64_t b = 0; b < numel_; b += kWindow) {
    const Range w{b, std::min(kWindow, numel_ - b)};
    dp_.all_gather_in_place(params + w.begin, piece_counts(w, shards_));
  }
}

void Sharding::all_gather_params(float* params) const { all_gather_windows(params); }
void Sharding::all_gather_params(uint16_t* params) const { all_gather_windows(params); }

void Sharding::gather(Range r, const float* local_shard, float* out) const {
  ASCENT_CHECK(r.begin >= 0 && r.end() <= numel_)
      << "[parallel] gather of [" << r.begin << ", " << r.end() << ") outside " << numel_;
  const Range m = mine(), p = r.intersect(m);
  const float* send = local_shard + (p.empty() ? 0 : p.begin - m.begin);
  dp_.all_gather(send, out, piece_counts(r, shards_));
}

void Sharding::reduce_scatter_accumulate(Range r, const float* grad_of_range,
                                         float* grad_shard) const {
  ASCENT_CHECK(r.begin >= 0 && r.end() <= numel_)
      << "[parallel] reduce_scatter of [" << r.begin << ", " << r.end() << ") outside " << numel_;
  const Range m = mine(), p = r.intersect(m);
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(p.count, 1)) * sizeof(float);
  if (scratch_.nbytes() < bytes) scratch_ = Buffer(bytes, false);
  float* piece = static_cast<float*>(scratch_.data());
  dp_.reduce_scatter(grad_of_range, piece, piece_counts(r, shards_));
  const float n = static_cast<float>(dp_.size());
  float* dst = grad_shard + (p.begin - m.begin);
  for (int64_t i = 0; i < p.count; ++i) dst[i] += piece[i] / n;
}

const float* gather_shards(const Sharding& sharding, const float* shard, Buffer& whole) {
  whole = Buffer(DType::F32, sharding.numel());
  float* w = static_cast<float*>(whole.data());
  const Range r = sharding.mine();
  std::copy(shard, shard + r.count, w + r.begin);
  sharding.all_gather_params(w);
  return w;
}

}  // namespace ascent::parallel::dp
