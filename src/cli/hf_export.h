#pragma once
// What `ascent convert --to-hf` adds around the weights so the output is a complete HF model
// directory: the tokenizer files, bos/eos/pad ids in config.json, generation_config.json; the
// default weight dtype; and the refusal to write into a non-empty directory without --overwrite.
#include <string>

#include "checkpoint/ascent_checkpoint.h"
#include "core/dtype.h"

namespace ascent::cli {

// The tokenizer to ship with an exported model: from the flags, else from the checkpoint's run
// configuration (the training run's --tokenizer-type / --tokenizer-name-or-path).
struct HfTokenizerSource {
  std::string type, path;
  bool from_flags = false;  // a missing path is an error, not a warning
};
HfTokenizerSource tokenizer_for_export(const CheckpointInfo& ckpt, const std::string& flag_type,
                                       const std::string& flag_path);

// --dtype when given, else the training run's compute dtype (--bf16: bf16, --fp16: f16) and bf16
// for an f32 run (what HF checkpoints hold). Throws for an unknown name.
DType hf_export_dtype(const CheckpointInfo& ckpt, const std::string& flag);

// Throws "[convert] --save DIR: ..." when DIR exists and is not an empty directory, unless
// overwrite.
void check_hf_output_dir(const std::string& dir, bool overwrite);

// After save_hf wrote DIR: copies the tokenizer files into DIR (SentencePiece: tokenizer.model
// and a tokenizer_config.json; HF: tokenizer.json, tokenizer_config.json,
// special_tokens_map.json, tokenizer.model, vocab.json, merges.txt as present), adds
// bos_token_id / eos_token_id / pad_token_id to config.json and writes generation_config.json.
// Without a tokenizer (none given or recorded) warns and writes generation_config.json without
// ids. Throws when a tokenizer given by flag cannot be read.
void write_hf_extras(const std::string& dir, const HfTokenizerSource& tok);

}  // namespace ascent::cli
