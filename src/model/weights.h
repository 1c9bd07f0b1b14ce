#pragma once
// The model's flat buffers: f32 master weights, f32 gradients, and (in bf16 mixed precision) a
// bf16 copy of the weights used as matmul operands, each with typed views (ModelParams). A rank of
// a TP x PP run holds its shard only (model/sharding.h); the default is the whole model.
#include <cstdint>

#include "core/tensor.h"
#include "model/config.h"
#include "model/params.h"

namespace ascent {

// On demand: a flat buffer is lazily mapped address space; only what a rank writes becomes
// memory, and discard_*() gives ranges back (ZeRO-2 keeps a shard of the gradients, ZeRO-3 also
// of the parameters, and materialise one layer at a time).
enum class Residency {
  kResident,         // everything resident
  kGradsOnDemand,    // ZeRO-2
  kOnDemand,         // ZeRO-3: parameters and gradients
};

class ModelWeights {
 public:
  // Throws ascent::Error "[model] ..." when cfg is invalid or cannot be split as `shard` says.
  ModelWeights(const ModelConfig& cfg, DType compute_dtype, const ShardSpec& shard = {},
               Residency residency = Residency::kResident);
  ModelWeights(const ModelWeights&) = delete;
  ModelWeights& operator=(const ModelWeights&) = delete;

  const ModelConfig& config() const { return cfg_; }
  const ParamLayout& layout() const { return layout_; }
  const ShardSpec& shard() const { return layout_.shard(); }
  DType compute_dtype() const { return compute_dtype_; }

  float* master() const { return static_cast<float*>(master_.data()); }  // [layout.total()]
  float* grad() const { return static_cast<float*>(grad_.data()); }      // [layout.total()]
  int64_t size() const { return layout_.total(); }

  const ModelParams& params() const { return p_master_; }    // f32 master views
  const ModelParams& grads() const { return p_grad_; }       // f32 gradient views
  const ModelParams& compute() const { return p_compute_; }  // matmul operand views

  // Megatron-style initialisation from (seed): weights N(0, std), output projections
  // (o_proj, down_proj) N(0, std / sqrt(2 L)), norm weights 1, biases 0, vocabulary padding 0.
  // Deterministic, and layout-independent: element (i, j) of a tensor is draw i * cols + j of
  // Philox stream (seed, 1 + the tensor's index in the unsharded layout), so every shard holds
  // exactly its slice of the unsharded model's initial weights (and only its slice is drawn).
  void init_random(uint64_t seed);
  // Refreshes the compute copy from the master weights (no-op in f32). Call after every
  // optimizer step and after loading.
  void refresh_compute();
  // The same for flat elements [begin, begin + count) only.
  void refresh_compute(int64_t begin, int64_t count);
  void zero_grad() { grad_.zero(); }
  // Master weights (and compute copy) / gradients of flat elements [begin, begin + count) become
  // zero; with Residency::kOnDemand their memory goes back to the system.
  void discard_params(int64_t begin, int64_t count);
  void discard_grads(int64_t begin, int64_t count);

 private:
  ModelConfig cfg_;
  ParamLayout layout_;
  DType compute_dtype_;
  Buffer master_, grad_, compute_;
  ModelParams p_master_, p_grad_, p_compute_;
};

}  // namespace ascent
