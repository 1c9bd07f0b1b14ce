#pragma once
// HF model directories (config.json + model.safetensors or a sharded set) <-> our flat f32
// parameter buffer (model/params.h).
//
// Our parameter names are HF LLaMA names for every family. The HF side per architecture:
//   LLaMA / InternLM  identical names and shapes (HF q/k rows are already in rotate-half order, so
//                     nothing is permuted).
//   Baichuan          model.layers.{i}.self_attn.W_pack.weight [3C, C] = rows of q | k | v.
//   Bloom             transformer.word_embeddings, word_embeddings_layernorm,
//                     h.{i}.input_layernorm, h.{i}.self_attention.query_key_value [3C, C] / [3C]
//                     (rows interleaved per head as [NH, 3, HS]), h.{i}.self_attention.dense
//                     (o_proj), h.{i}.post_attention_layernorm, h.{i}.mlp.dense_h_to_4h (up_proj),
//                     h.{i}.mlp.dense_4h_to_h (down_proj), ln_f (model.norm).
//   GPT-2             transformer.wte, wpe, h.{i}.ln_1, h.{i}.attn.c_attn (Conv1D: weight [C, 3C] =
//                     transpose of q | k | v rows), h.{i}.attn.c_proj, ln_2, mlp.c_fc (up_proj),
//                     mlp.c_proj (down_proj), ln_f; Conv1D weights are stored [in, out].
// Tied models have no lm_head.weight. Bloom and GPT-2 files are read with or without the
// "transformer." prefix and written with it (as save_pretrained of the *ForCausalLM class does).
#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint/hf_config.h"
#include "core/dtype.h"
#include "model/config.h"
#include "model/params.h"

namespace ascent {

// One tensor in HF naming, shape and element order; bytes are row-major in dtype.
struct HfTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

// Overwrites every parameter of `layout` in `flat` (f32, layout.total() elements) from the
// safetensors weights in dir (model.safetensors, or model.safetensors.index.json and its shards).
// Requires cfg to be expressible as cfg.hf_arch (usually from read_hf_config(dir)) and layout built
// from cfg, for any shard (model/sharding.h): each tensor's slice is taken from the whole HF
// tensor and vocabulary padding rows are set to zero. Sources may be F32, BF16 or F16. Every expected tensor must be present with its HF
// shape, and every tensor in the files must be expected, except buffers HF also ignores
// (*.rotary_emb.inv_freq, GPT-2's attn.bias / attn.masked_bias, lm_head.weight of a tied model).
// Everything is checked before flat is written. Returns the source dtype holding most elements.
// Throws ascent::Error "[hf] <file>: ..." naming the tensor.
DType load_hf_weights(const std::string& dir, const ModelConfig& cfg, const ParamLayout& layout,
                      float* flat);

// The parameters of `flat` (any f32 buffer with `layout`: weights or gradients) as HF tensors,
// converted to dtype (round to nearest even), in layer order, with the real (unpadded)
// vocabulary. layout must hold the whole model (vocabulary padding allowed); a shard throws
// "[hf] ..." naming the tensor. Pure: touches no file.
std::vector<HfTensor> export_hf_tensors(const ModelConfig& cfg, const ParamLayout& layout,
                                        const float* flat, DType dtype);

// Writes dir/config.json and the weights in dtype: model.safetensors, or with max_shard_bytes > 0
// shards of at most that many data bytes plus model.safetensors.index.json. A new dir is built
// beside it under a temporary name and renamed into place. Into an existing dir (which may hold
// tokenizer files) each file is replaced atomically, and weight files of an earlier save that the
// new one does not use are removed last.
void save_hf(const std::string& dir, const ModelConfig& cfg, const ParamLayout& layout,
             const float* flat, DType dtype, size_t max_shard_bytes = 0);

}  // namespace ascent
