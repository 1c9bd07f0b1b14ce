#include "model/weights.h"

#include <cmath>
#include <cstring>

#include "core/rng.h"
#include "kernels/kernels.h"

namespace ascent {

ModelWeights::ModelWeights(const ModelConfig& cfg, DType compute_dtype)
    : cfg_(cfg), layout_(cfg), compute_dtype_(compute_dtype) {
  cfg_.validate();
  if (compute_dtype != DType::F32 && compute_dtype != DType::BF16)
    throw error("[model] compute dtype must be f32 or bf16, got ", dtype_name(compute_dtype));
  master_ = Buffer(DType::F32, layout_.total());
  grad_ = Buffer(DType::F32, layout_.total());
  p_master_ = bind_params(cfg_, layout_, master_.data(), DType::F32);
  p_grad_ = bind_params(cfg_, layout_, grad_.data(), DType::F32);
  if (compute_dtype == DType::F32) {
    p_compute_ = p_master_;
  } else {
    compute_ = Buffer(compute_dtype, layout_.total());
    p_compute_ = bind_params(cfg_, layout_, compute_.data(), compute_dtype);
  }
}

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void ModelWeights::init_random(uint64_t seed) {
  const float std = cfg_.init_method_std;
  const float out_std = std / std::sqrt(2.0f * static_cast<float>(cfg_.num_layers));
  uint64_t stream = 0;
  for (const ParamSpec& s : layout_.specs()) {
    float* p = master() + s.offset;
    ++stream;  // one Philox stream per tensor, in layout order
    const bool is_norm = s.name.find("norm") != std::string::npos;
    if (ends_with(s.name, ".bias")) {
      std::memset(p, 0, static_cast<size_t>(s.numel) * sizeof(float));
    } else if (is_norm) {
      for (int64_t i = 0; i < s.numel; ++i) p[i] = 1.0f;
    } else {
      const bool out_proj = ends_with(s.name, "o_proj.weight") || ends_with(s.name, "down_proj.weight");
      Rng(seed, stream).fill_normal(p, static_cast<uint64_t>(s.numel), out_proj ? out_std : std);
    }
  }
  refresh_compute();
}

void ModelWeights::refresh_compute() {
  if (compute_dtype_ == DType::F32) return;
  kernels::cast(master_.as(DType::F32).rows(0, layout_.total()),
                compute_.as(compute_dtype_).rows(0, layout_.total()));
}

}  // namespace ascent
