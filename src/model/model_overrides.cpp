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

}  // namespace

flags::Table ModelOverrides::flags() {
  flags::Table t("train");
  t.add("--model", preset, "model preset (ascent plan --list)");
  t.add("--num-layers", num_layers);
  t.add("--hidden-size", hidden_size);
  t.add("--ffn-hidden-size", ffn_hidden_size);
  t.add("--num-attention-heads", num_attention_heads);
  t.add("--group-query-attention", group_query_attention);
  t.add("--num-query-groups", num_query_groups);
  t.add("--max-position-embeddings", max_position_embeddings);
  t.add("--position-embedding-type", position_embedding_type, "rope, alibi or absolute");
  t.add("--normalization", normalization, "RMSNorm or LayerNorm");
  t.add("--norm-epsilon", norm_epsilon);
  t.add("--init-method-std", init_method_std);
  t.add("--vocab-size", vocab_size, "vocabulary size when no tokenizer is given");
  t.add("--attention-dropout", attention_dropout,
        "dropout probability of the attention probabilities (training only)");
  t.add("--hidden-dropout", hidden_dropout,
        "dropout probability of the attention and MLP outputs (training only)");
  t.add("--make-vocab-size-divisible-by", make_vocab_size_divisible_by,
        "pad the vocabulary rows to a multiple of this times TP")
      .check(flags::at_least(1));
  return t;
}

ModelConfig ModelOverrides::resolve(int64_t seq_length, int64_t tokenizer_vocab) const {
  ModelConfig c = model_preset(preset);
  if (num_layers) c.num_layers = num_layers;
  if (hidden_size) c.hidden_size = hidden_size;
  if (ffn_hidden_size) c.ffn_hidden_size = ffn_hidden_size;
  if (num_attention_heads) {
    c.num_attention_heads = num_attention_heads;
    if (!group_query_attention) c.num_query_groups = num_attention_heads;
  }
  if (group_query_attention) {
    if (num_query_groups <= 0)
      throw error("[train] --group-query-attention needs --num-query-groups");
    c.num_query_groups = num_query_groups;
  }
  if (max_position_embeddings) c.max_position_embeddings = max_position_embeddings;
  if (seq_length > c.max_position_embeddings) c.max_position_embeddings = seq_length;
  if (!position_embedding_type.empty()) c.position = position_type(position_embedding_type);
  if (!normalization.empty()) c.norm = norm_type(normalization);
  if (norm_epsilon > 0.f) c.norm_eps = norm_epsilon;
  if (init_method_std > 0.f) c.init_method_std = init_method_std;
  c.attention_dropout = attention_dropout;  // presets train without dropout
  c.hidden_dropout = hidden_dropout;
  if (vocab_size) {
    c.vocab_size = vocab_size;
  } else if (tokenizer_vocab > 0) {
    c.vocab_size = tokenizer_vocab;
  }
  c.make_vocab_size_divisible_by = make_vocab_size_divisible_by;
  c.validate();
  return c;
}

}  // namespace ascent
