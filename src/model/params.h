#pragma once
// Parameters live in one flat buffer per dtype with named views (DESIGN.md section 3).
//
// ParamLayout lists every tensor a rank holds with its name, shape and offset (in elements) into
// the flat buffer. Names are HF LLaMA-style for every family (model.embed_tokens.weight,
// model.layers.{i}.self_attn.q_proj.weight, ...) and always global: a pipeline stage holding
// layers 8..15 has model.layers.8.* to model.layers.15.*. q/k/v rows sit next to each other
// (and gate/up), so one matmul covers the fused projection, on every TP rank.
//
// Sharded layouts (model/sharding.h): shapes are local; each ParamSpec also records the global
// shape, the dimension TP splits and where this rank's slice starts. Megatron's splits:
//   q_proj / k_proj / v_proj rows by heads / KV groups, and their biases   (column-parallel)
//   gate_proj / up_proj rows by FFN columns, and their biases              (column-parallel)
//   o_proj / down_proj columns; their biases replicated                    (row-parallel)
//   embed_tokens / lm_head rows by vocabulary, padded to padded_vocab_size(tp)
//   norms, position embeddings: replicated
// A vocabulary slice may run past the real vocabulary: those rows are padding (zero, never
// trained, not saved). The default ShardSpec gives today's single-process layout exactly.
//
// ModelParams are typed views into any flat buffer with that layout: the f32 master weights, the
// gradients, a bf16 compute copy. Optimizer, clipping, DP all-reduce and checkpoints use the flat
// buffer; layers use the views.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "model/config.h"
#include "model/sharding.h"

namespace ascent {

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;  // local: this rank's slice (padding rows included)
  int64_t offset = 0;          // elements from the start of the flat buffer
  int64_t numel = 0;           // of the local shape
  bool weight_decay = true;    // false for norms and biases

  std::vector<int64_t> global_shape;  // the whole tensor, HF shape (real vocabulary)
  // The dimension TP splits (0 rows, 1 columns), also when tp_size is 1; -1: every TP rank
  // holds the whole tensor (replicated).
  int split_dim = -1;
  int64_t split_offset = 0;  // index along split_dim of this slice's first element
  int64_t layer = -1;        // global layer index; -1 outside the blocks
  int64_t global_index = 0;  // position in the unsharded layout (keys the init RNG stream)

  int64_t global_numel() const;
  // Indices of this slice along split_dim that are real (not vocabulary padding):
  // [split_offset, split_offset + valid_extent()). The whole local extent when replicated.
  int64_t valid_extent() const;
  // True when this slice holds every element of the global tensor.
  bool is_whole() const;
};

class ParamLayout {
 public:
  ParamLayout() = default;
  // The tensors of `shard` (default: the whole model). Throws ascent::Error "[model] ..." when
  // cfg cannot be split that way (ShardSpec::validate).
  explicit ParamLayout(const ModelConfig& cfg, const ShardSpec& shard = {});

  const std::vector<ParamSpec>& specs() const { return specs_; }
  int64_t total() const { return total_; }
  // nullptr when absent.
  const ParamSpec* find(const std::string& name) const;
  // Tensor view of one parameter inside a flat buffer of the given dtype.
  Tensor view(void* base, DType dtype, const std::string& name) const;

  const ShardSpec& shard() const { return shard_; }  // layer ranges resolved
  // Global indices of the layers held, ascending (all of them by default).
  const std::vector<int64_t>& layers() const { return layers_; }
  // This rank's rows of the (padded) vocabulary: [vocab_start(), vocab_start() + vocab_rows()).
  // Rows at or past config vocab_size are padding. Meaningful where holds_word_embeddings().
  int64_t vocab_start() const { return vocab_start_; }
  int64_t vocab_rows() const { return vocab_rows_; }

 private:
  struct Global;  // one tensor of the unsharded enumeration
  void add(const Global& g, int64_t global_index);
  std::vector<ParamSpec> specs_;
  std::unordered_map<std::string, size_t> index_;
  int64_t total_ = 0;
  ShardSpec shard_;
  std::vector<int64_t> layers_;
  int64_t vocab_start_ = 0, vocab_rows_ = 0;
};

// Views of one transformer block. Undefined tensors are absent in this architecture. Shapes are
// local: in a TP shard NH, KVH and F read NH/tp, KVH/tp and F/tp.
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
  int64_t layer = -1;       // global layer index
};

struct ModelParams {
  Tensor wte;                         // [V, C]  model.embed_tokens.weight (V: vocab_rows())
  Tensor wpe;                         // [P, C]  model.embed_positions.weight (absolute positions)
  Tensor emb_norm_w, emb_norm_b;      // [C]     model.embed_layernorm.* (Bloom)
  std::vector<BlockParams> blocks;    // the layers held, in layout order (blocks[i].layer: global)
  Tensor final_norm_w, final_norm_b;  // [C] model.norm.*
  Tensor lm_head;                     // [V, C] lm_head.weight (== wte when tied)
};

// Binds views of every parameter of `layout` over the flat buffer at base. Tensors the shard does
// not hold stay undefined (wte on middle stages, lm_head before the last stage, ...).
ModelParams bind_params(const ModelConfig& cfg, const ParamLayout& layout, void* base, DType dtype);

}  // namespace ascent
