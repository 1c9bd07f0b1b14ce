#pragma once
// Parameters live in one flat buffer per dtype with named views (DESIGN.md section 3).
//
// ParamLayout lists every tensor of a model with its name, shape and offset (in elements) into
// the flat buffer. Names are HF LLaMA-style for every family (model.embed_tokens.weight,
// model.layers.{i}.self_attn.q_proj.weight, ...), see param_names below. q/k/v rows sit next to
// each other (and gate/up), so one matmul covers the fused projection.
//
// ModelParams are typed views into any flat buffer with that layout: the f32 master weights, the
// gradients, a bf16 compute copy. Optimizer, clipping, DP all-reduce and checkpoints use the flat
// buffer; layers use the views.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/config.h"

namespace ascent {

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;  // elements from the start of the flat buffer
  int64_t numel = 0;
  bool weight_decay = true;  // false for norms and biases
};

class ParamLayout {
 public:
  ParamLayout() = default;
  explicit ParamLayout(const ModelConfig& cfg);

  const std::vector<ParamSpec>& specs() const { return specs_; }
  int64_t total() const { return total_; }
  // nullptr when absent.
  const ParamSpec* find(const std::string& name) const;
  // Tensor view of one parameter inside a flat buffer of the given dtype.
  Tensor view(void* base, DType dtype, const std::string& name) const;

 private:
  void add(const std::string& name, std::vector<int64_t> shape, bool decay, bool pad = true);
  std::vector<ParamSpec> specs_;
  int64_t total_ = 0;
};

// Views of one transformer block. Undefined tensors are absent in this architecture.
struct BlockParams {
  Tensor norm1_w, norm1_b;  // [C]
  Tensor wqkv;              // [(NH+2KVH)*HS, C]  spans q_proj, k_proj, v_proj
  Tensor bqkv;              // [(NH+2KVH)*HS]
  Tensor wo;                // [C, NH*HS]
  Tensor bo;                // [C]
  Tensor norm2_w, norm2_b;  // [C]
  Tensor w_in;              // [2F, C] (gate_proj then up_proj) for SwiGLU, [F, C] for GeLU
  Tensor b_in;              // [F] (GeLU with biases)
  Tensor w_out;             // [C, F]  down_proj
  Tensor b_out;             // [C]
};

struct ModelParams {
  Tensor wte;                     // [V, C]  model.embed_tokens.weight
  Tensor wpe;                     // [P, C]  model.embed_positions.weight (absolute positions)
  Tensor emb_norm_w, emb_norm_b;  // [C]     model.embed_layernorm.* (Bloom)
  std::vector<BlockParams> blocks;
  Tensor final_norm_w, final_norm_b;  // [C] model.norm.*
  Tensor lm_head;                     // [V, C] lm_head.weight (== wte when tied)
};

// Binds views of every parameter of `layout` over the flat buffer at base.
ModelParams bind_params(const ModelConfig& cfg, const ParamLayout& layout, void* base, DType dtype);

}  // namespace ascent
