#include "model/architecture_check.h"

#include <fmt/format.h>

#include <functional>
#include <vector>

#include "core/error.h"

namespace ascent {
namespace {

// One architecture field: the flag that sets it ("" when only a preset does), and its value as
// text. Counts (vocabulary, positions) are compared only when their flag is given: a preset's
// are a default that the tokenizer and --seq-length change anyway.
struct Field {
  const char* flag;
  const char* name;  // for a field without a flag
  bool only_when_given;
  std::function<std::string(const ModelConfig&)> text;
};

std::string yes_no(bool b) { return b ? "yes" : "no"; }

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"--num-layers", "", false,
       [](const ModelConfig& c) { return fmt::format("{}", c.num_layers); }},
      {"--hidden-size", "", false,
       [](const ModelConfig& c) { return fmt::format("{}", c.hidden_size); }},
      {"--ffn-hidden-size", "", false,
       [](const ModelConfig& c) { return fmt::format("{}", c.ffn_hidden_size); }},
      {"--num-attention-heads", "", false,
       [](const ModelConfig& c) { return fmt::format("{}", c.num_attention_heads); }},
      {"--num-query-groups", "", false,
       [](const ModelConfig& c) { return fmt::format("{}", c.num_query_groups); }},
      {"--max-position-embeddings", "", true,
       [](const ModelConfig& c) { return fmt::format("{}", c.max_position_embeddings); }},
      {"--vocab-size", "", true,
       [](const ModelConfig& c) { return fmt::format("{}", c.vocab_size); }},
      {"--position-embedding-type", "", false,
       [](const ModelConfig& c) { return std::string(position_type_name(c.position)); }},
      {"--normalization", "", false,
       [](const ModelConfig& c) { return std::string(norm_type_name(c.norm)); }},
      {"--norm-epsilon", "", false,
       [](const ModelConfig& c) { return fmt::format("{}", c.norm_eps); }},
      {"", "mlp", false, [](const ModelConfig& c) { return std::string(mlp_type_name(c.mlp)); }},
      {"", "rope theta", false,
       [](const ModelConfig& c) { return fmt::format("{}", c.rope_theta); }},
      {"", "q/k/v biases", false, [](const ModelConfig& c) { return yes_no(c.qkv_bias); }},
      {"", "output projection bias", false,
       [](const ModelConfig& c) { return yes_no(c.out_bias); }},
      {"", "MLP biases", false, [](const ModelConfig& c) { return yes_no(c.mlp_bias); }},
      {"", "tied embeddings", false,
       [](const ModelConfig& c) { return yes_no(c.tied_embeddings); }},
      {"", "embedding norm", false, [](const ModelConfig& c) { return yes_no(c.embedding_norm); }},
      {"", "NormHead", false, [](const ModelConfig& c) { return yes_no(c.lm_norm_weight); }},
      {"", "z-loss", false, [](const ModelConfig& c) { return fmt::format("{}", c.z_loss); }},
  };
  return table;
}

}  // namespace

ModelConfig check_loaded_model(const ModelOverrides& flags, const flags::GivenFlags& given,
                               const ModelConfig& loaded, const std::string& load_dir,
                               const std::string& source) {
  const bool preset_given = flags.is_set("--model", given);
  // What the flags describe: the preset, or the loaded model itself, with the flags given on top.
  const ModelConfig wanted = flags.apply(preset_given ? model_preset(flags.preset) : loaded, given);
  std::string lines;
  for (const Field& f : fields()) {
    const bool flag_given = *f.flag && flags.is_set(f.flag, given);
    if (f.only_when_given && !flag_given) continue;
    const std::string want = f.text(wanted), have = f.text(loaded);
    if (want == have) continue;
    // Where the wanted value comes from, when not from its own flag.
    const std::string origin = flag_given     ? ""
                               : preset_given ? " (--model " + flags.preset + ")"
                                              : " (implied by the flags given)";
    lines +=
        fmt::format("\n  {} {}{} vs {} {}", *f.flag ? f.flag : f.name, want, origin, source, have);
  }
  if (!lines.empty())
    throw error("[train] --load ", load_dir, ": the model flags given disagree with the ", source,
                " there:", lines, "\nFlags left out are taken from the ", source,
                ": drop the flags above, or give the values it has");
  // Training-only settings come from the flags given; everything else is the loaded model's.
  ModelConfig out = loaded;
  const ModelConfig runtime = flags.apply(loaded, given);
  out.attention_dropout = runtime.attention_dropout;
  out.hidden_dropout = runtime.hidden_dropout;
  out.init_method_std = runtime.init_method_std;
  out.make_vocab_size_divisible_by = runtime.make_vocab_size_divisible_by;
  return out;
}

}  // namespace ascent
