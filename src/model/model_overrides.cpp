#include "model/model_overrides.h"

#include "core/error.h"

namespace ascent {
namespace {

PositionType position_type(const std::string& name) {
  if (name == "rope") return PositionType::Rope;
  if (name == "alibi") return PositionType::Alibi;
  if (name == "absolute") return PositionType::Absolute;
  throw error("[train] --position-embedding-type '", name, "' is not one of rope, alibi, absolute");
}

NormType norm_type(const std::string& name) {
  if (name == "RMSNorm") return NormType::RMSNorm;
  if (name == "LayerNorm") return NormType::LayerNorm;
  throw error("[train] --normalization '", name, "' is not RMSNorm or LayerNorm");
}

// Two switches that contradict each other: throws naming both.
void check_exclusive(bool a, const char* a_name, bool b, const char* b_name) {
  if (a && b) throw error("[train] ", a_name, " and ", b_name, " exclude each other");
}

// The Megatron / AscendSpeed architecture switches, applied over the preset.
void apply_switches(const ModelOverrides& o, ModelConfig& c) {
  check_exclusive(o.untie_embeddings, "--untie-embeddings-and-output-weights", o.tie_embeddings,
                  "--no-untie-embeddings-and-output-weights");
  check_exclusive(o.swiglu, "--swiglu", o.no_add_gate, "--no-add-gate");
  check_exclusive(o.add_bias_linear, "--add-bias-linear", o.disable_bias_linear,
                  "--disable-bias-linear");
  if (o.untie_embeddings || o.tie_embeddings) c.tied_embeddings = o.tie_embeddings;
  if (o.swiglu) c.mlp = MlpType::SwiGLU;
  if (o.no_add_gate) c.mlp = MlpType::GeLU;
  if (o.add_bias_linear || o.disable_bias_linear)
    c.qkv_bias = c.out_bias = c.mlp_bias = o.add_bias_linear;
  if (o.embed_layernorm) c.embedding_norm = true;
  if (o.lm_norm_weight) c.lm_norm_weight = true;
  if (o.z_loss_weight > 0.f) c.z_loss = o.z_loss_weight;
}

}  // namespace

flags::Table ModelOverrides::flags() {
  flags::Table t("train");
  t.add("--model", preset,
        "model preset (ascent plan --list); the architecture flags below override it");
  t.add("--num-layers", num_layers, "transformer layers (0: the preset's)");
  t.add("--hidden-size", hidden_size, "model width (0: the preset's)");
  t.add("--ffn-hidden-size", ffn_hidden_size, "MLP width (0: the preset's)");
  t.add("--num-attention-heads", num_attention_heads, "query heads (0: the preset's)");
  t.add("--group-query-attention", group_query_attention,
        "share key/value heads among query heads (with --num-query-groups)");
  t.add("--num-query-groups", num_query_groups,
        "key/value heads with --group-query-attention (0: the preset's)");
  t.add("--max-position-embeddings", max_position_embeddings,
        "longest sequence the positions cover (0: the preset's, at least --seq-length)");
  t.add("--position-embedding-type", position_embedding_type,
        "rope, alibi or absolute (empty: the preset's)");
  t.add("--normalization", normalization, "RMSNorm or LayerNorm (empty: the preset's)");
  t.add("--norm-epsilon", norm_epsilon, "epsilon of every norm (0: the preset's)");
  t.add("--init-method-std", init_method_std,
        "standard deviation of the random initial weights (0: the preset's)");
  t.add("--vocab-size", vocab_size,
        "vocabulary size when no tokenizer is given (0: the tokenizer's, else the preset's)");
  t.add("--attention-dropout", attention_dropout,
        "dropout probability of the attention probabilities (training only)");
  t.add("--hidden-dropout", hidden_dropout,
        "dropout probability of the attention and MLP outputs (training only)");
  t.add("--make-vocab-size-divisible-by", make_vocab_size_divisible_by,
        "pad the vocabulary rows to a multiple of this times TP")
      .check(flags::at_least(1));
  // Megatron / AscendSpeed spellings of architecture choices (flag compatibility).
  t.add("--layernorm-epsilon", norm_epsilon, "AscendSpeed's name of --norm-epsilon").not_saved();
  t.add("--untie-embeddings-and-output-weights", untie_embeddings,
        "separate input embedding and LM head weights (default: the preset's)");
  t.add("--no-untie-embeddings-and-output-weights", tie_embeddings,
        "one weight for the input embedding and the LM head (default: the preset's)");
  t.add("--swiglu", swiglu, "SwiGLU MLP: gate and up projections (default: the preset's)");
  t.add("--no-add-gate", no_add_gate,
        "GeLU MLP without a gate projection, as Bloom (default: the preset's)");
  t.add("--add-bias-linear", add_bias_linear,
        "biases on every linear layer, as Bloom (default: the preset's)");
  t.add("--disable-bias-linear", disable_bias_linear,
        "no bias on any linear layer, as LLaMA (default: the preset's)");
  t.add("--embed-layernorm", embed_layernorm,
        "LayerNorm right after the embedding, as Bloom (default: the preset's)");
  t.add("--lm-norm-weight", lm_norm_weight,
        "NormHead: LM head rows L2-normalised, as Baichuan2 (default: the preset's)");
  t.add("--z-loss-weight", z_loss_weight,
        "coefficient of the z-loss (log-sum-exp squared) added to the loss (0: the preset's)")
      .check(flags::at_least(0));
  return t;
}

bool ModelOverrides::is_set(std::string_view flag, const flags::GivenFlags& given) const {
  return flags::is_set(flags::read_only(*this), ModelOverrides{}.flags(), flag, given);
}

ModelConfig ModelOverrides::apply(ModelConfig c, const flags::GivenFlags& given) const {
  const auto set = [&](std::string_view flag) { return is_set(flag, given); };
  // A size given explicitly is used as given: 0 is no longer "the preset's value".
  const auto size = [&](std::string_view flag, int64_t value, int64_t& field) {
    if (!set(flag)) return;
    if (value <= 0)
      throw error("[train] ", flag, " ", value,
                  " must be positive (leave the flag out to keep the preset's or the loaded "
                  "model's value)");
    field = value;
  };
  size("--num-layers", num_layers, c.num_layers);
  size("--hidden-size", hidden_size, c.hidden_size);
  size("--ffn-hidden-size", ffn_hidden_size, c.ffn_hidden_size);
  if (set("--num-attention-heads")) {
    size("--num-attention-heads", num_attention_heads, c.num_attention_heads);
    if (!group_query_attention) c.num_query_groups = num_attention_heads;
  }
  int64_t groups = 0;
  size("--num-query-groups", num_query_groups, groups);
  if (group_query_attention) {
    if (groups <= 0) throw error("[train] --group-query-attention needs --num-query-groups");
    c.num_query_groups = groups;
  }
  size("--max-position-embeddings", max_position_embeddings, c.max_position_embeddings);
  size("--vocab-size", vocab_size, c.vocab_size);
  if (set("--position-embedding-type")) c.position = position_type(position_embedding_type);
  if (set("--normalization")) c.norm = norm_type(normalization);
  const auto positive = [&](std::string_view flag, float value, float& field) {
    if (!set(flag)) return;
    if (!(value > 0.f)) throw error("[train] ", flag, " ", value, " must be positive");
    field = value;
  };
  positive("--norm-epsilon", norm_epsilon, c.norm_eps);
  positive("--init-method-std", init_method_std, c.init_method_std);
  if (set("--attention-dropout")) c.attention_dropout = attention_dropout;
  if (set("--hidden-dropout")) c.hidden_dropout = hidden_dropout;
  if (set("--make-vocab-size-divisible-by"))
    c.make_vocab_size_divisible_by = make_vocab_size_divisible_by;
  apply_switches(*this, c);
  return c;
}

ModelConfig ModelOverrides::resolve(int64_t seq_length, int64_t tokenizer_vocab,
                                    const flags::GivenFlags& given) const {
  ModelConfig c = apply(model_preset(preset), given);
  if (seq_length > c.max_position_embeddings) {
    if (is_set("--max-position-embeddings", given))
      throw error("[train] --max-position-embeddings ", c.max_position_embeddings,
                  " is below --seq-length ", seq_length,
                  ": positions past it have no embedding (Megatron refuses this too); give at "
                  "least ",
                  seq_length, " or leave the flag out");
    c.max_position_embeddings = seq_length;  // the preset's is raised (train/flag_warnings.h)
  }
  if (!is_set("--vocab-size", given) && tokenizer_vocab > 0) c.vocab_size = tokenizer_vocab;
  c.validate();
  return c;
}

}  // namespace ascent
