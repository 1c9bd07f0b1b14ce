#include "model/weights.h"

#include <cmath>
#include <cstring>

#include "core/rng.h"
#include "kernels/kernels.h"

namespace ascent {

// cfg is validated before the layout divides by its head count.
ModelWeights::ModelWeights(const ModelConfig& cfg, DType compute_dtype, const ShardSpec& shard,
                           Residency residency)
    : cfg_((cfg.validate(), cfg)), layout_(cfg, shard), compute_dtype_(compute_dtype) {
  if (compute_dtype != DType::F32 && compute_dtype != DType::BF16 && compute_dtype != DType::F16)
    throw error("[model] compute dtype must be f32, bf16 or f16, got ", dtype_name(compute_dtype));
  auto make = [&](DType t, bool lazy) {
    const size_t bytes = static_cast<size_t>(layout_.total()) * dtype_size(t);
    return lazy ? Buffer::lazy(bytes) : Buffer(bytes);
  };
  const bool lazy_params = residency == Residency::kOnDemand;
  master_ = make(DType::F32, lazy_params);
  grad_ = make(DType::F32, residency != Residency::kResident);
  p_master_ = bind_params(cfg_, layout_, master_.data(), DType::F32);
  p_grad_ = bind_params(cfg_, layout_, grad_.data(), DType::F32);
  if (compute_dtype == DType::F32) {
    p_compute_ = p_master_;
  } else {
    compute_ = make(compute_dtype, lazy_params);
    p_compute_ = bind_params(cfg_, layout_, compute_.data(), compute_dtype);
  }
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// p[0, s.numel) = this slice of a N(0, std^2) tensor whose element at flat global index g is draw
// g of rng; padding rows 0. Only the slice's own draws are computed.
void fill_normal_slice(const ParamSpec& s, const Rng& rng, float std, float* p) {
  if (s.valid_extent() < (s.split_dim < 0 ? 0 : s.shape[s.split_dim]))
    std::memset(p, 0, static_cast<size_t>(s.numel) * sizeof(float));
  if (s.split_dim == 1) {
    const int64_t rows = s.shape[0], cols = s.shape[1], global_cols = s.global_shape[1];
#pragma omp parallel for schedule(static) if (s.numel > 65536)
    for (int64_t r = 0; r < rows; ++r)
      rng.fill_normal(p + r * cols, static_cast<uint64_t>(cols), std,
                      static_cast<uint64_t>(r * global_cols + s.split_offset));
    return;
  }
  // Whole tensor or a range of rows: one contiguous run of draws.
  const int64_t row = s.shape.empty() || s.shape[0] == 0 ? 1 : s.numel / s.shape[0];
  const int64_t rows = s.split_dim == 0 ? s.valid_extent() : (s.shape.empty() ? 1 : s.shape[0]);
  rng.fill_normal(p, static_cast<uint64_t>(rows * row), std,
                  static_cast<uint64_t>(s.split_offset * row));
}

}  // namespace

void ModelWeights::init_random(uint64_t seed) {
  const float std = cfg_.init_method_std;
  const float out_std = std / std::sqrt(2.0f * static_cast<float>(cfg_.num_layers));
  for (const ParamSpec& s : layout_.specs()) {
    float* p = master() + s.offset;
    const bool is_norm = s.name.find("norm") != std::string::npos;
    if (ends_with(s.name, ".bias")) {
      std::memset(p, 0, static_cast<size_t>(s.numel) * sizeof(float));
    } else if (is_norm) {
      for (int64_t i = 0; i < s.numel; ++i) p[i] = 1.0f;
    } else {
      // One Philox stream per tensor, numbered in unsharded layout order from 1.
      const Rng rng(seed, static_cast<uint64_t>(s.global_index) + 1);
      const bool out_proj =
          ends_with(s.name, "o_proj.weight") || ends_with(s.name, "down_proj.weight");
      fill_normal_slice(s, rng, out_proj ? out_std : std, p);
    }
  }
  refresh_compute();
}

void ModelWeights::refresh_compute() { refresh_compute(0, layout_.total()); }

void ModelWeights::refresh_compute(int64_t begin, int64_t count) {
  if (compute_dtype_ == DType::F32 || count == 0) return;
  kernels::cast(master_.as(DType::F32).rows(begin, begin + count),
                compute_.as(compute_dtype_).rows(begin, begin + count));
}

void ModelWeights::discard_params(int64_t begin, int64_t count) {
  master_.discard(static_cast<size_t>(begin) * 4, static_cast<size_t>(begin + count) * 4);
  if (compute_dtype_ == DType::F32) return;
  const size_t es = dtype_size(compute_dtype_);
  compute_.discard(static_cast<size_t>(begin) * es, static_cast<size_t>(begin + count) * es);
}

void ModelWeights::discard_grads(int64_t begin, int64_t count) {
  grad_.discard(static_cast<size_t>(begin) * 4, static_cast<size_t>(begin + count) * 4);
}

}  // namespace ascent
