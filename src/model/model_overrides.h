#pragma once
// The model flags of `ascent train`: a preset (--model), then every architecture flag given
// overrides it. A flag counts as given when the command line or config file set it (even to 0,
// which is then refused where 0 is no size) or, for a config built in code, when it differs from
// its default (0 or ""). Megatron-LM / AscendSpeed names.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/flags.h"
#include "model/config.h"

namespace ascent {

struct ModelOverrides {
  std::string preset = "tiny-llama";  // --model
  int64_t num_layers = 0, hidden_size = 0, ffn_hidden_size = 0, num_attention_heads = 0;
  bool group_query_attention = false;
  int64_t num_query_groups = 0, max_position_embeddings = 0, vocab_size = 0;
  std::string position_embedding_type, normalization;
  float norm_epsilon = 0.f, init_method_std = 0.f;
  float attention_dropout = 0.f, hidden_dropout = 0.f;  // training only; 0 = off
  int64_t make_vocab_size_divisible_by = 1;
  // Megatron / AscendSpeed architecture switches (flag compatibility): each overrides the preset.
  bool untie_embeddings = false, tie_embeddings = false;  // --[no-]untie-embeddings-and-output-...
  bool swiglu = false, no_add_gate = false;               // MLP: SwiGLU, or GeLU without a gate
  bool add_bias_linear = false, disable_bias_linear = false;  // biases on every linear, or none
  bool embed_layernorm = false, lm_norm_weight = false;
  float z_loss_weight = 0.f;  // > 0: coefficient of lse^2 added to the loss

  // The flags above, bound to this instance (core/flags.h).
  flags::Table flags();
  // The per-flag rules (--make-vocab-size-divisible-by >= 1); throws "[train] --flag ...". The
  // architecture flags are checked by resolve(), only when the model is built from flags.
  void validate() const { flags::validate(flags::read_only(*this)); }
  // True when `flag` (one of the flags above) was given: in `given`, or not at its default.
  bool is_set(std::string_view flag, const flags::GivenFlags& given) const;
  // `base` (a preset or a loaded model) with every flag given applied, --model aside. Throws
  // "[train] --flag ..." for a size given as 0 or below, an unknown position or norm type, or
  // --group-query-attention without --num-query-groups; the result is not validated otherwise.
  ModelConfig apply(ModelConfig base, const flags::GivenFlags& given = {}) const;
  // The preset with the flags given applied; vocab_size, unless given, from `tokenizer_vocab` (if
  // > 0); max position embeddings at least `seq_length`: the preset's value is raised to it, a
  // --max-position-embeddings given below it throws (as Megatron refuses it). Validated: throws
  // "[train] --flag ..." or "[model] --flag ..." for a value the model cannot take.
  ModelConfig resolve(int64_t seq_length, int64_t tokenizer_vocab,
                      const flags::GivenFlags& given = {}) const;
};

}  // namespace ascent
