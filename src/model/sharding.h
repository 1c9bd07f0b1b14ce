#pragma once
// Which part of the model one rank holds (Megatron's tensor x pipeline model parallelism).
//
// ShardSpec names one rank's piece: its TP coordinate (every weight matrix of a block is cut
// along heads, KV groups, FFN columns or the vocabulary), the global layers it holds and whether
// it holds the embedding (first stage) and the head (last stage: final norm + LM head).
// ParamLayout(cfg, shard) lists that piece's tensors (model/params.h). The default ShardSpec is
// the whole model on one rank, the layout of every single-process run.
//
// ModelParallelConfig computes the ShardSpec of every (tp_rank, pp_rank) from Megatron's flags:
// the even layer split, an explicit uneven one (--manual-layers 5,6,6,5) and interleaved virtual
// stages (--num-layers-per-virtual-pipeline-stage: stage p holds chunks p, p+PP, p+2PP, ...).
// No MPI here: DP replicates a shard (ZeRO cuts the flat buffer further, parallel/dp/zero.h).
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace ascent {

// Global layers [first, last). last == -1 means "to the last layer" (only in the default).
struct LayerRange {
  int64_t first = 0, last = -1;
  int64_t count() const { return last - first; }
  bool operator==(const LayerRange&) const = default;
};

struct ShardSpec {
  int tp_rank = 0;
  int tp_size = 1;
  // Layer ranges held, ascending and disjoint: one per virtual pipeline chunk (one without
  // interleaving). The default holds every layer.
  std::vector<LayerRange> layers = {LayerRange{}};
  // The input side: model.embed_tokens (+ embed_positions, embed_layernorm). First stage.
  bool has_embedding = true;
  // The output side: model.norm + lm_head. Last stage. With tied embeddings and no embedding on
  // this rank, the head is a copy of model.embed_tokens.weight (Megatron keeps one on the last
  // stage and sums its gradient with the first stage's over the embedding group).
  bool has_head = true;

  // True when this rank holds a model.embed_tokens.weight (input side, or tied head copy).
  bool holds_word_embeddings(const ModelConfig& cfg) const {
    return has_embedding || (has_head && cfg.tied_embeddings);
  }
  // The layer ranges with last == -1 resolved; throws ascent::Error "[model] ..." when ranges
  // are out of [0, L), empty, overlapping or unordered, or tp_rank is not in [0, tp_size).
  std::vector<LayerRange> resolved_layers(const ModelConfig& cfg) const;
  // Throws ascent::Error naming the flag when cfg cannot be split tp_size ways:
  // --num-attention-heads, --num-query-groups and --ffn-hidden-size must divide by tp_size.
  void validate(const ModelConfig& cfg) const;
  // True for the default (whole model on one rank).
  bool is_whole(const ModelConfig& cfg) const;
};

// Throws "[model] ... --tensor-model-parallel-size ..." when cfg does not divide tp ways.
void check_tensor_parallel(const ModelConfig& cfg, int tp);

struct ModelParallelConfig {
  int tensor_model_parallel_size = 1;                 // --tensor-model-parallel-size
  int pipeline_model_parallel_size = 1;               // --pipeline-model-parallel-size
  int64_t num_layers_per_virtual_pipeline_stage = 0;  // 0: no interleaving
  std::vector<int64_t> manual_layers;                 // --manual-layers 5,6,6,5 (empty: even split)

  // Throws ascent::Error naming the flag: sizes < 1, heads / groups / FFN not divisible by TP,
  // L not divisible by PP (without --manual-layers), manual layers not one positive entry per
  // stage summing to L, interleaving with one stage, with manual layers, or with a stage size
  // not divisible by the chunk size.
  void validate(const ModelConfig& cfg) const;
  // Model chunks per stage: (L / PP) / layers-per-virtual-stage with interleaving, else 1.
  int virtual_stages(const ModelConfig& cfg) const;
  // Global layers of chunk `chunk` of stage pp_rank (Megatron: chunk c of stage p is global
  // chunk c * PP + p). Requires validate(cfg) to pass.
  LayerRange stage_layers(const ModelConfig& cfg, int pp_rank, int chunk = 0) const;
  // Every chunk of stage pp_rank in one shard (one flat buffer per rank).
  ShardSpec shard(const ModelConfig& cfg, int tp_rank, int pp_rank) const;
  // One chunk only: the embedding on chunk 0 of stage 0, the head on the last chunk of the last
  // stage (for a model object per virtual stage).
  ShardSpec chunk_shard(const ModelConfig& cfg, int tp_rank, int pp_rank, int chunk) const;
};

// "5,6,6,5" -> {5, 6, 6, 5}; throws "[model] --manual-layers: ..." on anything else.
std::vector<int64_t> parse_manual_layers(const std::string& s);

}  // namespace ascent
